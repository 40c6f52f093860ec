"""The README's layout map names every package and top-level module of the repository, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _map_entries() -> set[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    return {m.group(1).rstrip("/") for m in re.finditer(r"^(\S+)\s", block, re.MULTILINE)}


def _repository_entries() -> set[str]:
    backend = ROOT / "backend"
    found = {f"backend/{p.name}" for p in backend.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    found |= {f"backend/{p.name}" for p in backend.glob("*.py") if p.name != "__init__.py"}
    top = {"indexing", "rubrics", "prompts", "corpus", "eval", "tests"}
    return found | top


def test_readme_layout_map_is_true():
    entries = _map_entries()
    assert entries == _repository_entries()
    assert all((ROOT / e).exists() for e in entries)
