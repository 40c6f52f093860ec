"""Rubrics as data: the schema of an indicator system, its loader, validator, fingerprint and registry.

A rubric is a YAML file under ``rubrics/`` (JSON Schema in ``rubrics/rubric.schema.json``). It holds a
rating scale and a tree of indicators (一级 → 二级 → review points / 审核重点). Every text says whether it
is ``official`` (verbatim from the source document) or ``reconstructed`` (our paraphrase). Review points
link to recommendations of the guide rubric (``ciqa-guide-2021:3.2.3``), which supply improvement advice.

Loading rejects unknown keys, duplicate keys and ids, dangling links and empty scales, and reports every
problem at once, each with its path in the file (``indicators[2].children[0].review_points[3].links[0]``)
and line number, in one :class:`RubricError`.

Versioning: a review stores :meth:`Rubric.ref` (id, version, fingerprint). An edited rubric must carry a
new version; :class:`RubricRegistry` refuses two different contents under one (id, version), and
:func:`rubric_changed` tells whether a rubric differs from a stored fingerprint.

Example:
    >>> r = parse_rubric(EXAMPLE_YAML)
    >>> (r.id, r.counts().review_points)
    ('demo', 1)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from backend.config import Settings
from backend.domain.enums import InstitutionType, SubmissionKind
from backend.errors import AppError, ErrorCode

SCHEMA_FILE = "rubric.schema.json"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
RUBRIC_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
LINK_PATTERN = r"^[a-z0-9][a-z0-9-]*:[A-Za-z0-9][A-Za-z0-9._-]*$"
MAX_DEPTH = 3

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
RubricId = Annotated[str, StringConstraints(pattern=RUBRIC_ID_PATTERN)]
Link = Annotated[str, StringConstraints(pattern=LINK_PATTERN)]


class TextOrigin(StrEnum):
    """Whether a text is verbatim from its source document or our paraphrase."""

    OFFICIAL = "official"
    RECONSTRUCTED = "reconstructed"


class PointKind(StrEnum):
    """定性 or 定量 review point."""

    QUALITATIVE = "qualitative"
    QUANTITATIVE = "quantitative"


class Selection(StrEnum):
    """Whether an indicator must be reported on (审核评估 modules)."""

    REQUIRED = "必选"
    OPTIONAL = "可选"
    FEATURE = "特色可选"
    FIRST_AUDIT = "首评限选"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where the rubric comes from.

    Args:
        document: title of the source document.
        date: its date of issue; ``None`` where unknown (e.g. an imported table).
        issuer: who issued it.
        reference: 文号 or other identifier.
        note: what was reconstructed, and how.
    """

    document: Text
    date: dt.date | None = None
    issuer: Text | None = None
    reference: Text | None = None
    note: Text | None = None


class Applicability(_Strict):
    """Which institutions and submissions a rubric applies to."""

    institution_types: list[InstitutionType] = Field(min_length=1)
    submission_kinds: list[SubmissionKind] = Field(min_length=1)


class Level(_Strict):
    """One level of the rating scale; ``evidence`` says what evidence the level needs."""

    id: ItemId
    label: Text
    score: float
    evidence: Text


class Metric(_Strict):
    """The figure a quantitative review point asks for.

    Args:
        name: metric name as in 状态数据 (e.g. 生师比).
        synonyms: other names reports use for the same figure (学生与教师比; 毕业去向落实率 for 初次就业率); a
            reported figure is looked up under the name and every synonym, never under a looser match.
        unit: ``%``, ``元``, ``:1`` (N in N:1), ``1:`` (N in 1:N), ``册`` …
        national_floor: the national threshold, only where it is certain; ``None`` otherwise.
        floor_direction: ``at_most`` (e.g. 生师比 ≤ 18) or ``at_least``; required with a floor.
        floor_basis: which document sets the threshold, and for which institution types.
    """

    name: Text
    synonyms: tuple[Text, ...] = ()
    unit: Text
    national_floor: float | None = None
    floor_direction: Literal["at_least", "at_most"] | None = None
    floor_basis: Text | None = None

    @model_validator(mode="after")
    def _direction_with_floor(self) -> Metric:
        if (self.national_floor is None) != (self.floor_direction is None):
            raise ValueError("national_floor and floor_direction go together")
        return self


class Examples(_Strict):
    """A well-evidenced paragraph and a weak one for a review point (used by tests and the matcher)."""

    strong: Text
    weak: Text


class ReviewPoint(_Strict):
    """One review point (审核重点 / 观测点 / guide recommendation).

    Args:
        id: unique in the rubric, e.g. ``6.3.1``.
        title: a short label; the display falls back to the text.
        text: the official (or reconstructed) wording.
        text_origin: official or reconstructed.
        kind: qualitative or quantitative.
        evidence: what evidence is expected, as short descriptions.
        queries: 2–5 phrasings a university might write in its report.
        key_terms: terms whose presence signals coverage.
        weight: relative weight among siblings.
        metric: for quantitative points only.
        links: guide recommendations supplying improvement advice (``rubric-id:point-id``).
        selection: 必选 / 可选 / 特色可选 / 首评限选 where the source says so.
        level_descriptors: per scale level id, what that level means for this point.
        examples: a strong and a weak paragraph.
    """

    id: ItemId
    title: Text | None = None
    text: Text
    text_origin: TextOrigin
    kind: PointKind = PointKind.QUALITATIVE
    evidence: list[Text] = Field(default_factory=list)
    queries: list[Text] = Field(min_length=2, max_length=5)
    key_terms: list[Text] = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)
    metric: Metric | None = None
    links: list[Link] = Field(default_factory=list)
    selection: Selection | None = None
    level_descriptors: dict[str, Text] = Field(default_factory=dict)
    examples: Examples | None = None

    @model_validator(mode="after")
    def _metric_matches_kind(self) -> ReviewPoint:
        if self.kind is PointKind.QUANTITATIVE and self.metric is None:
            raise ValueError("a quantitative review point needs a metric")
        if self.kind is PointKind.QUALITATIVE and self.metric is not None:
            raise ValueError("a qualitative review point has no metric")
        return self

    @property
    def label(self) -> str:
        """The title, or the text shortened for display."""
        return self.title or (self.text if len(self.text) <= 40 else self.text[:39] + "…")


class Indicator(_Strict):
    """An indicator (一级 or 二级) with sub-indicators and/or review points."""

    id: ItemId
    name: Text
    description: Text | None = None
    text_origin: TextOrigin
    selection: Selection | None = None
    weight: float = Field(default=1.0, gt=0)
    children: list[Indicator] = Field(default_factory=list)
    review_points: list[ReviewPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Indicator:
        if not self.children and not self.review_points:
            raise ValueError("an indicator needs sub-indicators or review points")
        return self


class Counts(BaseModel):
    """How many indicators per depth and review points a rubric has."""

    model_config = ConfigDict(frozen=True)

    indicators_by_depth: tuple[int, ...]
    review_points: int
    quantitative: int
    official: int
    reconstructed: int


class RubricRef(_Strict):
    """What a review records about the rubric it used."""

    id: RubricId
    version: Text
    fingerprint: Text


class Rubric(_Strict):
    """An indicator system with its rating scale; see the module docstring."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"$id": "https://ciqa-review/rubric.schema.json", "title": "CIQA rubric"},
    )

    id: RubricId
    name: Text
    version: Text
    description: Text | None = None
    source: Source
    applicability: Applicability
    scale: list[Level] = Field(min_length=1)
    indicators: list[Indicator] = Field(min_length=1)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON of the content: formatting and comments do not count."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def ref(self) -> RubricRef:
        """The (id, version, fingerprint) a review stores."""
        return RubricRef(id=self.id, version=self.version, fingerprint=self.fingerprint)

    def iter_indicators(self) -> Iterator[tuple[int, Indicator]]:
        """Indicators depth-first with their depth (1 = 一级)."""

        def walk(items: Sequence[Indicator], depth: int) -> Iterator[tuple[int, Indicator]]:
            for ind in items:
                yield depth, ind
                yield from walk(ind.children, depth + 1)

        return walk(self.indicators, 1)

    def iter_points(self) -> Iterator[tuple[tuple[Indicator, ...], ReviewPoint]]:
        """Review points in document order, each with its chain of indicators (outermost first)."""

        def walk(items: Sequence[Indicator], chain: tuple[Indicator, ...]) -> Iterator[Any]:
            for ind in items:
                here = (*chain, ind)
                for point in ind.review_points:
                    yield here, point
                yield from walk(ind.children, here)

        return walk(self.indicators, ())

    def point(self, point_id: str) -> ReviewPoint:
        """The review point with this id."""
        for _, p in self.iter_points():
            if p.id == point_id:
                return p
        raise AppError(ErrorCode.NOT_FOUND, f"指标体系 {self.id} 中没有审核重点 {point_id}。", point_id)

    def point_ids(self) -> frozenset[str]:
        """Ids of all review points."""
        return frozenset(p.id for _, p in self.iter_points())

    def counts(self) -> Counts:
        """Indicator counts per depth and review point counts."""
        by_depth: dict[int, int] = {}
        for depth, _ in self.iter_indicators():
            by_depth[depth] = by_depth.get(depth, 0) + 1
        points = [p for _, p in self.iter_points()]
        return Counts(
            indicators_by_depth=tuple(by_depth[d] for d in sorted(by_depth)),
            review_points=len(points),
            quantitative=sum(p.kind is PointKind.QUANTITATIVE for p in points),
            official=sum(p.text_origin is TextOrigin.OFFICIAL for p in points),
            reconstructed=sum(p.text_origin is TextOrigin.RECONSTRUCTED for p in points),
        )


def rubric_changed(rubric: Rubric, stored_fingerprint: str) -> bool:
    """Whether ``rubric`` differs from the content a review recorded as ``stored_fingerprint``."""
    return rubric.fingerprint != stored_fingerprint


# --- problems and the error ----------------------------------------------------------------------

Loc = tuple[str | int, ...]


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
    raw, node, problems = _read_yaml(text)
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
        raise _invalid(problems, node, file)
    return rubric


def _invalid(problems: list[tuple[Loc, str]], node: yaml.Node | None, file: str | None) -> RubricError:
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


def _read_yaml(text: str) -> tuple[Any, yaml.Node | None, list[tuple[Loc, str]]]:
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


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key: numeric parts numerically (``1.10`` after ``1.9``), other parts as text."""
    parts = re.findall(r"\d+|[^\d.\-_]+", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


class RubricStatus(StrEnum):
    """How a stored :class:`RubricRef` compares with the registry."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    MISSING = "missing"


class RubricRegistry:
    """All known rubrics, by id and version; two different contents under one (id, version) are refused.

    Example:
        >>> reg = RubricRegistry([parse_rubric(EXAMPLE_YAML)])
        >>> reg.get("demo").version
        '1.0'
    """

    def __init__(self, rubrics: Sequence[Rubric] = ()) -> None:
        self._by_key: dict[tuple[str, str], Rubric] = {}
        self._files: dict[tuple[str, str], str] = {}
        for rubric in rubrics:
            self.add(rubric)

    @classmethod
    def load_dir(cls, directory: Path) -> RubricRegistry:
        """Load every ``*.yaml`` under ``directory`` (archives in sub-folders included), check links.

        Raises:
            RubricError: with the problems of all files, each naming its file.
        """
        problems: list[Problem] = []
        loaded: list[tuple[Path, str, Rubric]] = []
        for path in sorted(Path(directory).rglob("*.yaml")):
            try:
                text = path.read_text(encoding="utf-8")
                loaded.append((path, text, parse_rubric(text, file=str(path))))
            except RubricError as e:
                problems += e.problems
            except (OSError, UnicodeDecodeError) as e:
                problems.append(Problem("", str(e), file=str(path)))
        registry = cls()
        for path, _, rubric in loaded:
            try:
                registry.add(rubric, file=str(path))
            except RubricError as e:
                problems += e.problems
        known = registry.known_points()
        for path, text, rubric in loaded:
            dangling = link_problems(rubric, known)
            if dangling:
                problems += _invalid(dangling, _read_yaml(text)[1], str(path)).problems
        if problems:
            raise RubricError(ErrorCode.RUBRIC_INVALID, f"指标体系目录有 {len(problems)} 处问题。", problems)
        return registry

    def add(self, rubric: Rubric, *, file: str | None = None) -> None:
        """Register a rubric; the same content twice is harmless, two contents under one version are not."""
        key = (rubric.id, rubric.version)
        existing = self._by_key.get(key)
        if existing is not None and existing.fingerprint != rubric.fingerprint:
            other = self._files.get(key, "an earlier rubric")
            raise RubricError(
                ErrorCode.RUBRIC_INVALID,
                f"指标体系 {rubric.id} 的版本 {rubric.version} 有两份不同的内容；修改后的指标体系必须使用新版本号。",
                [
                    Problem(
                        "version",
                        f"differs from {other} under the same version; an edit needs a new version",
                        file=file,
                    )
                ],
            )
        self._by_key[key] = rubric
        if file:
            self._files.setdefault(key, file)

    def get(self, rubric_id: str, version: str | None = None) -> Rubric:
        """The rubric with this id, at ``version`` or else the latest version."""
        if version is not None:
            found = self._by_key.get((rubric_id, version))
        else:
            versions = self.versions(rubric_id)
            found = self._by_key[(rubric_id, versions[-1])] if versions else None
        if found is None:
            wanted = rubric_id if version is None else f"{rubric_id} {version}"
            raise AppError(ErrorCode.RUBRIC_NOT_FOUND, f"找不到指标体系 {wanted}。", wanted)
        return found

    def versions(self, rubric_id: str) -> list[str]:
        """Known versions of a rubric, oldest first."""
        return sorted((v for i, v in self._by_key if i == rubric_id), key=version_key)

    def list(self, *, all_versions: bool = False) -> list[Rubric]:
        """Rubrics sorted by id: the latest version of each, or every version."""
        ids = sorted({i for i, _ in self._by_key})
        if all_versions:
            return [self._by_key[(i, v)] for i in ids for v in self.versions(i)]
        return [self.get(i) for i in ids]

    def file_of(self, rubric: Rubric) -> str | None:
        """The file a rubric was loaded from, if any."""
        return self._files.get((rubric.id, rubric.version))

    def known_points(self) -> dict[str, frozenset[str]]:
        """Review point ids of the latest version of each rubric, for link checks."""
        return {r.id: r.point_ids() for r in self.list()}

    def status(self, ref: RubricRef) -> RubricStatus:
        """Whether the rubric a review used is still here with the same content."""
        rubric = self._by_key.get((ref.id, ref.version))
        if rubric is None:
            return RubricStatus.MISSING
        return RubricStatus.CHANGED if rubric_changed(rubric, ref.fingerprint) else RubricStatus.UNCHANGED

    def resolve_link(self, link: str) -> tuple[Rubric, ReviewPoint]:
        """The rubric and review point a link (``rubric-id:point-id``) names."""
        rubric_id, _, point_id = link.partition(":")
        rubric = self.get(rubric_id)
        return rubric, rubric.point(point_id)


def default_registry(directory: Path | None = None) -> RubricRegistry:
    """The registry of the configured rubrics directory (``CIQA_RUBRICS_DIR``)."""
    if directory is None:
        directory = Settings().rubrics_dir
    return RubricRegistry.load_dir(directory)


EXAMPLE_YAML = """
id: demo
name: 示例
version: "1.0"
source: {document: 示例文件, date: 2021-12-18}
applicability: {institution_types: [应用型], submission_kinds: [self_evaluation]}
scale:
  - {id: A, label: 达成, score: 2, evidence: 有制度、有实施、有成效数据}
  - {id: B, label: 未达成, score: 1, evidence: 缺少证据}
indicators:
  - id: "1"
    name: 质量保障
    text_origin: reconstructed
    review_points:
      - id: "1.1"
        text: 质量监控部门及其职责
        text_origin: official
        queries: [我校设立本科教学质量监控中心, 质量监控队伍由专职人员和督导组成]
        key_terms: [质量监控]
"""
