"""`ciqa cases store-passages` on a real SQLite database with a case ingested before ingest kept its passages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.config import Settings
from backend.db.queries import campaigns
from backend.db.session import session_scope, upgrade
from backend.domain.enums import SubmissionKind
from backend.jobs import enqueue
from backend.storage import index_dir
from corpus.cases import generate_case
from indexing.near_duplicates import PASSAGES_JSON, PASSAGES_NPY, Passages
from tests.backend.selection.case_world import submit_case


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """CIQA_DATA_DIR pointing at a temporary var/ with a migrated database; jobs are not published."""
    monkeypatch.setenv("CIQA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setattr(enqueue, "publish", lambda job_id, kind, settings: None)
    settings = Settings()
    upgrade(settings)
    return settings


def _filed_case(settings: Settings, name: str, seed: int) -> int:
    """A case campaign with one case filed and ingested; returns its version id."""
    with session_scope(settings) as session:
        campaign = campaigns.create_campaign(
            session, name="2025年优秀案例征集", rubric_id="case-selection", kind=SubmissionKind.CASE
        )
        session.commit()
        version_id, _ = submit_case(
            session, settings, name=name, campaign_id=campaign.id, case=generate_case(seed), category="质量文化建设"
        )
    return version_id


def test_a_case_without_passages_gets_them_and_a_second_run_keeps_them(settings: Settings) -> None:
    from backend.cli.main import app

    version_id = _filed_case(settings, "甲学院", 3)
    directory = index_dir(settings, version_id)
    texts = Passages.load(directory).texts
    for name in (PASSAGES_JSON, PASSAGES_NPY):
        (directory / name).unlink()

    first = CliRunner().invoke(app, ["cases", "store-passages"])
    assert first.exit_code == 0, first.output
    assert "已补存 1 个案例正文的段落向量；已有 0 个；原文件无法重新读取 0 个" in first.output
    stored = Passages.load(directory)
    assert stored.texts == texts and len(stored.vectors) == len(texts)
    second = CliRunner().invoke(app, ["cases", "store-passages", "--json"])
    assert second.exit_code == 0 and json.loads(second.output) == {"stored": 0, "kept": 1, "failed": 0}


def test_an_unreadable_original_is_counted_and_the_command_fails(settings: Settings) -> None:
    from backend.cli.main import app

    version_id = _filed_case(settings, "乙学院", 4)
    shutil.rmtree(index_dir(settings, version_id))
    shutil.rmtree(settings.files_dir)
    result = CliRunner().invoke(app, ["cases", "store-passages", "--json"])
    assert result.exit_code == 1 and json.loads(result.output) == {"stored": 0, "kept": 0, "failed": 1}
