"""Loading and validating rubric YAML: every problem at once, each with its path and line.

Loading rejects unknown keys, duplicate keys and ids, dangling links and empty scales, and reports every
problem at once, each with its path in the file (``indicators[2].children[0].review_points[3].links[0]``)
and line number, in one :class:`RubricError`.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from backend.errors import AppError, ErrorCode
from backend.rubrics.models import MAX_DEPTH, SCHEMA_FILE, Indicator, Loc, Rubric


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rubric file or an imported table.

    Args:
        path: where, e.g. ``indicators[2].review_points[0].links[0]`` or ``row 7``.
        message: what is wrong.
        line: 1-based line in the file, where known.
        file: the file, where known.
    """

    path: str
    message: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = self.path or "(root)"
        if self.file:
            where = f"{self.file}: {where}"
        if self.line is not None:
            where = f"{where} (line {self.line})"
        return f"{where}: {self.message}"


class RubricError(AppError):
    """An :class:`AppError` carrying every problem found, each with its path."""

    def __init__(self, code: ErrorCode, message_zh: str, problems: Sequence[Problem]) -> None:
        super().__init__(code, message_zh, "; ".join(str(p) for p in problems))
        self.problems = list(problems)


def format_loc(loc: Loc) -> str:
    """``("indicators", 2, "children", 0)`` -> ``indicators[2].children[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


# --- loading -------------------------------------------------------------------------------------


def parse_rubric(text: str, *, file: str | None = None, known: Mapping[str, frozenset[str]] | None = None) -> Rubric:
    """Parse and validate rubric YAML.

    Args:
        text: the YAML.
        file: its name, for messages.
        known: review point ids of other rubrics by rubric id, to check links into them; links to
            rubrics not in ``known`` are then dangling. ``None`` checks links into this rubric only.

    Raises:
        RubricError: ``RUBRIC_INVALID`` with every problem found.
    """
    raw, node, problems = read_yaml(text)
    rubric: Rubric | None = None
    if node is not None:
        try:
            rubric = Rubric.model_validate(raw)
        except ValidationError as e:
            problems += [(_pydantic_loc(err["loc"]), _pydantic_message(err)) for err in e.errors()]
        problems += _semantic_problems(raw)
        if rubric is not None and known is not None:
            problems += link_problems(rubric, known)
    if problems or rubric is None:
        raise invalid_rubric(problems, node, file)
    return rubric


def invalid_rubric(problems: list[tuple[Loc, str]], node: yaml.Node | None, file: str | None) -> RubricError:
    found = [Problem(format_loc(loc), msg, _line_of(node, loc), file) for loc, msg in problems]
    if not found:
        found = [Problem("", "the file is empty", file=file)]
    return RubricError(ErrorCode.RUBRIC_INVALID, f"指标体系文件有 {len(found)} 处问题。", found)


def load_rubric(path: Path, *, known: Mapping[str, frozenset[str]] | None = None) -> Rubric:
    """Read and validate one rubric file; see :func:`parse_rubric`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RubricError(
            ErrorCode.RUBRIC_INVALID, "无法读取指标体系文件。", [Problem("", str(e), file=str(path))]
        ) from e
    return parse_rubric(text, file=str(path), known=known)


class _Loader(yaml.SafeLoader):
    """Safe loader; duplicate keys are found on the composed node tree before construction."""


def read_yaml(text: str) -> tuple[Any, yaml.Node | None, list[tuple[Loc, str]]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, []
        problems = list(_duplicate_keys(node, ()))
        return loader.construct_document(node), node, problems
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where: Loc = (f"line {mark.line + 1}",) if mark else ()
        return None, None, [(where, f"YAML syntax error: {getattr(e, 'problem', e)}")]
    finally:
        loader.dispose()


def _duplicate_keys(node: yaml.Node, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                yield (*loc, name), f"duplicate key '{name}'"
            seen.add(name)
            yield from _duplicate_keys(value, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, i))


def _line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of the deepest node on ``loc`` that exists."""
    if node is None:
        return None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _pydantic_loc(loc: tuple[Any, ...]) -> Loc:
    # Drop validator tags such as "function-after[...]"; keep field names and indexes.
    return tuple(p for p in loc if isinstance(p, int) or not re.search(r"[\[\]-]", str(p)))


def _pydantic_message(err: Mapping[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    return str(err["msg"]).removeprefix("Value error, ")


def _semantic_problems(raw: Any) -> list[tuple[Loc, str]]:
    """Duplicate ids, dangling links within the rubric, unknown level ids, scale order.

    Works on the raw data, tolerant of a malformed tree, so that these problems are reported together
    with the schema's.
    """
    if not isinstance(raw, dict):
        return [((), "a rubric is a mapping with id, name, version, source, applicability, scale, indicators")]
    problems: list[tuple[Loc, str]] = []
    own_id = raw.get("id")

    levels = [lv for lv in _items(raw.get("scale")) if isinstance(lv[1], dict)]
    level_ids: set[str] = set()
    for i, lv in levels:
        if lv.get("id") in level_ids:
            problems.append((("scale", i, "id"), f"duplicate level id '{lv.get('id')}'"))
        level_ids.add(lv.get("id"))
    scores = [lv.get("score") for _, lv in levels]
    numeric = all(isinstance(s, int | float) for s in scores)
    if numeric and any(a <= b for a, b in itertools.pairwise(scores)):
        problems.append((("scale",), "levels are listed best first, with strictly decreasing scores"))

    ids: dict[str, Loc] = {}
    point_ids: set[str] = set()
    links: list[tuple[Loc, str]] = []

    def note_id(value: Any, loc: Loc) -> None:
        if not isinstance(value, str):
            return
        if value in ids:
            problems.append((loc, f"duplicate id '{value}' (first at {format_loc(ids[value])})"))
        else:
            ids[value] = loc

    def walk(items: Any, loc: Loc, depth: int) -> None:
        for i, ind in _items(items):
            here = (*loc, i)
            if not isinstance(ind, dict):
                continue
            if depth > MAX_DEPTH:
                problems.append((here, f"indicators nest at most {MAX_DEPTH} levels deep"))
            note_id(ind.get("id"), (*here, "id"))
            walk(ind.get("children"), (*here, "children"), depth + 1)
            for j, point in _items(ind.get("review_points")):
                at = (*here, "review_points", j)
                if not isinstance(point, dict):
                    continue
                note_id(point.get("id"), (*at, "id"))
                if isinstance(point.get("id"), str):
                    point_ids.add(point["id"])
                for k, link in _items(point.get("links")):
                    if isinstance(link, str):
                        links.append(((*at, "links", k), link))
                descriptors = point.get("level_descriptors")
                if isinstance(descriptors, dict):
                    for key in descriptors:
                        if key not in level_ids:
                            problems.append(((*at, "level_descriptors", key), f"no scale level '{key}'"))

    walk(raw.get("indicators"), ("indicators",), 1)

    for loc, link in links:
        target, _, point_id = link.partition(":")
        if target == own_id and point_id not in point_ids:
            problems.append((loc, f"dangling link '{link}': no review point '{point_id}' in this rubric"))
    return problems


def link_problems(rubric: Rubric, known: Mapping[str, frozenset[str]]) -> list[tuple[Loc, str]]:
    """Links into other rubrics that do not resolve in ``known`` (point ids by rubric id)."""
    problems: list[tuple[Loc, str]] = []

    def walk(items: Sequence[Indicator], loc: Loc) -> None:
        for i, ind in enumerate(items):
            walk(ind.children, (*loc, i, "children"))
            for j, point in enumerate(ind.review_points):
                for k, link in enumerate(point.links):
                    target, _, point_id = link.partition(":")
                    at = (*loc, i, "review_points", j, "links", k)
                    if target == rubric.id:
                        continue
                    if target not in known:
                        problems.append((at, f"dangling link '{link}': no rubric '{target}'"))
                    elif point_id not in known[target]:
                        problems.append((at, f"dangling link '{link}': no review point '{point_id}' in '{target}'"))

    walk(rubric.indicators, ("indicators",))
    return problems


def _items(value: Any) -> list[tuple[int, Any]]:
    return list(enumerate(value)) if isinstance(value, list) else []


# --- writing -------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def rubric_to_yaml(rubric: Rubric) -> str:
    """Readable YAML of a rubric (defaults left out), loadable by :func:`parse_rubric`."""
    data = rubric.model_dump(mode="json", exclude_defaults=True)
    if rubric.source.date is not None:
        data["source"]["date"] = rubric.source.date  # written as a YAML date, not a quoted string
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000)
    return f"# yaml-language-server: $schema={SCHEMA_FILE}\n{body}"


def json_schema() -> str:
    """The JSON Schema of a rubric file, as shipped in ``rubrics/rubric.schema.json``."""
    return json.dumps(Rubric.model_json_schema(), ensure_ascii=False, indent=2) + "\n"


# --- registry ------------------------------------------------------------------------------------
