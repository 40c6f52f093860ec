"""The service's packages import one way: leaves below, flows above, entry points on top; no cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"


def _package(module: str) -> str:
    """``backend.review.flows`` -> ``backend.review``; top-level modules stay as they are."""
    return ".".join(module.split(".")[:2])


def _imports() -> dict[str, set[str]]:
    """Backend package -> backend packages its modules import (anywhere in the module, functions included)."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in BACKEND.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("backend.") and _package(target) != _package(module):
                    edges[_package(module)].add(_package(target))
    return edges


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False


def test_no_two_backend_packages_import_each_other():
    edges = _imports()
    cycles = sorted(f"{a} <-> {b}" for a in edges for b in edges[a] if a < b and _reaches(edges, b, a))
    assert cycles == []


def test_leaves_import_no_flows():
    edges = _imports()
    # The database layer and the shared types never depend on review, ingest, jobs, the worker, API or CLI.
    for leaf in ("backend.db", "backend.domain", "backend.rubrics"):
        upward = edges.get(leaf, set()) & {
            "backend.review",
            "backend.ingest",
            "backend.jobs",
            "backend.worker",
            "backend.api",
            "backend.cli",
            "backend.demo",
        }
        assert upward == set(), leaf
    assert edges.get("backend.domain", set()) == set()


def test_only_the_cli_imports_the_cli():
    edges = _imports()
    assert sorted(a for a, targets in edges.items() if "backend.cli" in targets and a != "backend.cli") == []


def test_worker_and_api_load_no_terminal_libraries():
    code = (
        "import sys, backend.worker.tasks, backend.worker.app, backend.api.main;"
        "print(sorted(m for m in ('typer', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
