"""The indexing library imports nothing from the service or its frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("backend", "fastapi", "sqlalchemy", "celery", "starlette", "alembic")


def test_indexing_imports_nothing_from_the_service():
    root = Path(__file__).resolve().parents[2] / "indexing"
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
