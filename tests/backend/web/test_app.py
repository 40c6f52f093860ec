"""The served application: what `ciqa serve` runs in each server process (backend.serve.API_FACTORY)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from backend.serve import API_FACTORY
from backend.web.app import GC_THRESHOLDS

PROBE = """
import gc, json, importlib
module, name = {factory!r}.split(":")
before = gc.get_threshold()
app = getattr(importlib.import_module(module), name)()
print(json.dumps({{"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                   "paths": sorted(app.openapi()["paths"])}}))
"""


def test_the_served_app_freezes_its_startup_heap_and_collects_less_often(tmp_path: Path) -> None:
    """In its own process (the collector's settings are process-wide): the factory `ciqa serve` names builds the
    whole app, then freezes what startup allocated and raises the collector's thresholds."""
    env = {**os.environ, "CIQA_DATA_DIR": str(tmp_path / "var")}
    probe = PROBE.format(factory=API_FACTORY)
    command = [sys.executable, "-c", probe]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=120)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert tuple(seen["before"]) != GC_THRESHOLDS
    assert tuple(seen["after"]) == GC_THRESHOLDS
    assert seen["frozen"] > 50_000  # the imported service, its rubrics and routes
    assert {"/api/reviews/{review_id}", "/api/campaigns/{campaign_id}/ranking"} <= set(seen["paths"])
