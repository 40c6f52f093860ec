"""Before a campaign-wide AI review the secretariat sees what it costs: with an LLM endpoint configured (the
scripted OpenAI-compatible server of tests/llm_server.py) the estimated tokens, price and time, measured on a real
ingested report, and no request reaches the model before the run is confirmed; without one, that the extractive
drafter runs at no cost."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import JobKind
from backend.db.queries import jobs
from backend.ingest.flows import ingest_version, upload_version
from backend.web.app import create_app
from tests.backend.api.conftest import World, ready_version
from tests.backend.service_fixtures import report_bytes
from tests.backend.web.conftest import csrf
from tests.llm_server import ChatServer, Reply, chat_server


@pytest.fixture
def llm() -> Iterator[ChatServer]:
    with chat_server(Reply('{"level": "C", "points": []}')) as server:
        yield server


@pytest.fixture
def llm_settings(settings: Settings, llm: ChatServer) -> Settings:
    return settings.model_copy(
        update={
            "drafter": "llm",
            "llm_base_url": llm.base_url,
            "llm_model": "scripted-qwen",
            "llm_price_input_per_1k": 0.004,
            "llm_price_output_per_1k": 0.012,
            "llm_max_concurrency": 2,
        }
    )


def _ingested_report(db: Session, world: World, settings: Settings) -> int:
    """A real report uploaded to the own submission and ingested with the bundled embedder: the newest ready
    version, not yet reviewed."""
    upload = upload_version(
        db,
        submission_id=world.own.submission_id,
        data=report_bytes(),
        original_name="甲大学自评报告.txt",
        user_id=None,
        settings=settings,
    )
    ingest_version(db, upload.version_id, settings)
    return upload.version_id


def _number(page: str, label: str) -> float:
    found = re.search(rf"<th>{label}[^<]*</th><td class=\"num\">(?:约 )?([\d,.]+)", page)
    assert found, label
    return float(found.group(1).replace(",", ""))


class TestWithAnLLMEndpoint:
    @pytest.fixture
    def site(self, llm_settings: Settings, published: list[tuple[int, JobKind]]) -> FastAPI:
        return create_app(llm_settings)

    def test_estimate_shown_before_the_run_and_no_model_call_until_confirmed(
        self, browser_as, world: World, db: Session, settings: Settings, llm: ChatServer
    ) -> None:
        _ingested_report(db, world, settings)
        client = browser_as("secretariat")
        board = client.get(f"/campaigns/{world.campaign_id}").text
        assert f'href="/campaigns/{world.campaign_id}/reviews/confirm"' in board
        page = client.get(f"/campaigns/{world.campaign_id}/reviews/confirm").text
        # Only the own submission's new report is unreviewed (乙's newest report already has a review).
        assert "将对 <b>1</b> 份自评报告" in page and "scripted-qwen" in page and "甲大学自评报告.txt" in page
        indicators = _number(page, "调用次数")
        prompt, answer = _number(page, "输入 tokens"), _number(page, "输出 tokens")
        cost, minutes = _number(page, "费用"), _number(page, "耗时")
        assert indicators >= 10 and prompt > 1000 and answer > 0
        assert cost == pytest.approx(round(prompt / 1000 * 0.004 + answer / 1000 * 0.012, 2), abs=0.011)
        assert minutes > 0
        assert llm.seen == []  # the estimate contacted no model
        # The re-run's page carries the choice through to the confirming form.
        rerun = client.get(f"/campaigns/{world.campaign_id}/reviews/confirm?rerun=true").text
        assert 'name="rerun" value="true"' in rerun and _number(rerun, "输入 tokens") == prompt
        # Confirming queues the one campaign job.
        r = client.post(f"/campaigns/{world.campaign_id}/reviews", headers=csrf(client))
        assert r.status_code == 303
        queued = [j for j in jobs.list_jobs(db, campaign_id=world.campaign_id) if j.kind is JobKind.REVIEW_CAMPAIGN]
        assert len(queued) == 1 and not queued[0].rerun


def test_without_an_llm_the_extractive_drafter_runs_at_no_cost(browser_as, world: World, db: Session) -> None:
    client = browser_as("secretariat")
    # The world's reports have reviews (or reviews queued): nothing to review, no confirm button.
    plain = client.get(f"/campaigns/{world.campaign_id}/reviews/confirm").text
    assert "没有需要评审的材料" in plain and 'id="confirm-run"' not in plain
    ready_version(db, submission_id=world.own.submission_id, content="甲大学-3")
    ready_version(db, submission_id=world.other.submission_id, content="乙大学-3")
    page = client.get(f"/campaigns/{world.campaign_id}/reviews/confirm").text
    assert 'id="drafter-extractive"' in page and "不产生费用" in page and "将对 <b>2</b> 份自评报告" in page
    assert 'id="llm-estimate"' not in page and 'id="confirm-run"' in page
