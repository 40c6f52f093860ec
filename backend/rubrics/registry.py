"""The registry of rubrics: every version of every rubric in a directory, refusing conflicting contents.

Versioning: a review stores :meth:`Rubric.ref` (id, version, fingerprint). An edited rubric must carry a
new version; :class:`RubricRegistry` refuses two different contents under one (id, version), and
:func:`rubric_changed` tells whether a rubric differs from a stored fingerprint.

Example:
    >>> r = parse_rubric(EXAMPLE_YAML)
    >>> (r.id, r.counts().review_points)
    ('demo', 1)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from backend.config import Settings
from backend.errors import AppError, ErrorCode
from backend.rubrics.loader import Problem, RubricError, invalid_rubric, link_problems, parse_rubric, read_yaml
from backend.rubrics.models import ReviewPoint, Rubric, RubricRef, rubric_changed


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
                problems += invalid_rubric(dangling, read_yaml(text)[1], str(path)).problems
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

    def find(self, rubric_id: str, version: str) -> Rubric | None:
        """The rubric at exactly this version, or None when it is not installed (any more)."""
        return self._by_key.get((rubric_id, version))

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


@functools.cache
def _registry(directory: Path) -> RubricRegistry:
    return RubricRegistry.load_dir(directory)


def rubric_registry(settings: Settings) -> RubricRegistry:
    """The configured rubrics, loaded once per process (rubric files change only with a deployment)."""
    return _registry(settings.rubrics_dir.resolve())


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
