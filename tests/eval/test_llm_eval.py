"""`ciqa eval llm` end to end against a scripted OpenAI-compatible server on 127.0.0.1 that answers from the prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli.main import app
from tests.llm_server import Reply, chat_server, grounded_reply

pytestmark = pytest.mark.integration


def test_eval_llm_measures_a_model_through_its_endpoint(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CIQA_DATA_DIR", str(tmp_path / "var"))
    out = tmp_path / "results"
    with chat_server(Reply(grounded_reply)) as server:
        args = ["eval", "llm", "--base-url", server.base_url, "--model", "scripted-qwen", "--out", str(out)]
        result = CliRunner().invoke(app, [*args, "--reports", "1", "--pages", "8", "--level-reports", "0"])
    assert result.exit_code == 0, result.output
    assert "引用有效率" in result.output and "每份报告 token" in result.output
    saved = json.loads((out / "llm.json").read_text(encoding="utf-8"))
    assert saved["model"] == "scripted-qwen" and saved["reviews"] == 1
    assert saved["fallback_rate"] == 0.0 and saved["omission"]["citation_validity"] == 1.0
    assert saved["judged_points"] > 0 and saved["judge_agreement"] is not None
    assert saved["tokens_per_review"] > 10_000
    # 27 indicator prompts, then one judge prompt per borderline point; the answers came over HTTP.
    indicator_calls = [s for s in server.seen if "# 审核重点\n" in s.prompt]
    assert len(indicator_calls) == 27 and len(server.seen) == 27 + saved["judged_points"]
    # The model marked every point with evidence 问号: its marks, not the extractive ones, were scored.
    assert saved["omission"]["unsupported_to_verify"] > 0.5
