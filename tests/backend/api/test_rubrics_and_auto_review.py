"""Rubrics any signed-in user can list and read, and the review an upload starts by itself once ingested:
with the rubric chosen at upload (checked at once) or the campaign's, queued once even if ingest re-runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import Job, JobKind, JobStatus
from backend.ingest.flows import run_ingest_job
from backend.jobs.run import run_job
from tests.backend.api.conftest import ROLES, World, bearer
from tests.backend.service_fixtures import report_bytes
from tests.fakes import KeywordEmbedder


class FakeTask:
    """What run_job needs of a bound Celery task."""

    request = SimpleNamespace(retries=0)


@pytest.fixture(autouse=True)
def worker_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job runner reads Settings from the environment, as in a worker process."""
    monkeypatch.setenv("CIQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIQA_DATABASE_URL", settings.database_url)


def _ingest(job_id: int) -> None:
    run_job(FakeTask(), job_id, lambda r: run_ingest_job(r, embedder_factory=lambda s: KeywordEmbedder()))


def _upload(client: TestClient, world: World, submission_id: int, data: bytes = b"", **form: str):
    return client.post(
        f"/api/submissions/{submission_id}/versions",
        files={"file": ("自评报告.txt", data or report_bytes())},
        data=form,
        headers=bearer(world, "university"),
    )


def _jobs(client: TestClient, world: World, version_id: int) -> list[dict]:
    response = client.get(f"/api/versions/{version_id}/jobs", headers=bearer(world, "university"))
    assert response.status_code == 200, response.text
    return response.json()


def _reviews(client: TestClient, world: World, version_id: int) -> list[dict]:
    return [j for j in _jobs(client, world, version_id) if j["kind"] == "review"]


def test_every_role_lists_the_rubrics_with_what_they_apply_to(client: TestClient, world: World) -> None:
    for role in ROLES:
        response = client.get("/api/rubrics", headers=bearer(world, role))
        assert response.status_code == 200, response.text
    by_id = {r["id"]: r for r in response.json()}
    assert {"quality-culture-2026", "case-selection", "audit-2021-type1", "audit-2021-type2"} <= set(by_id)
    case = by_id["case-selection"]
    assert case["applicability"]["submission_kinds"] == ["case"]
    assert case["applicability"]["institution_types"] == ["研究型", "应用型", "高职"]
    audit = by_id["audit-2021-type1"]
    assert audit["name"].startswith("普通高等学校本科教育教学审核评估指标体系")
    assert audit["version"] == audit["versions"][-1] and audit["review_points"] > audit["indicators"] > 0


def test_a_rubric_shows_its_scale_and_indicator_tree_without_matcher_internals(
    client: TestClient, world: World
) -> None:
    response = client.get("/api/rubrics/audit-2021-type2", headers=bearer(world, "university"))
    assert response.status_code == 200, response.text
    rubric = response.json()
    assert rubric["scale"] and rubric["indicators"]

    def walk(items: list[dict]):
        for item in items:
            yield item
            yield from walk(item["children"])

    points = [p for ind in walk(rubric["indicators"]) for p in ind["review_points"]]
    listed = client.get("/api/rubrics", headers=bearer(world, "university")).json()
    assert len(points) == next(r for r in listed if r["id"] == "audit-2021-type2")["review_points"]
    assert any(p["metric"] and p["metric"]["name"] == "生师比" for p in points)
    assert not any("queries" in p or "key_terms" in p or "examples" in p for p in points)


@pytest.mark.parametrize("path", ["/api/rubrics/no-such-rubric", "/api/rubrics/audit-2021-type2?version=9.9"])
def test_an_unknown_rubric_or_version_is_not_found_in_chinese(client: TestClient, world: World, path: str) -> None:
    response = client.get(path, headers=bearer(world, "expert"))
    assert response.status_code == 404
    assert response.json()["code"] == "rubric_not_found" and "找不到指标体系" in response.json()["message"]


def test_ingest_queues_one_review_with_the_campaign_rubric_after_it_commits(
    client: TestClient, world: World, published: list
) -> None:
    up = _upload(client, world, world.own.submission_id).json()
    assert up["job"]["rubric_id"] == "quality-culture-2026"
    assert _reviews(client, world, up["version"]["id"]) == []
    _ingest(up["job"]["id"])
    [review] = _reviews(client, world, up["version"]["id"])
    assert (review["status"], review["rubric_id"]) == ("queued", "quality-culture-2026")
    assert published == [(up["job"]["id"], JobKind.INGEST), (review["id"], JobKind.REVIEW)]
    assert client.get(f"/api/jobs/{up['job']['id']}", headers=bearer(world, "university")).json()["status"] == (
        "succeeded"
    )


def test_a_rubric_chosen_at_upload_is_used_instead(client: TestClient, world: World) -> None:
    up = _upload(client, world, world.own.submission_id, rubric_id="audit-2021-type2").json()
    _ingest(up["job"]["id"])
    assert [j["rubric_id"] for j in _reviews(client, world, up["version"]["id"])] == ["audit-2021-type2"]


def test_an_unknown_rubric_is_refused_at_upload_and_nothing_is_stored(
    client: TestClient, world: World, settings: Settings, published: list
) -> None:
    response = _upload(client, world, world.own.submission_id, rubric_id="no-such-rubric")
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "rubric_not_found" and "找不到指标体系" in response.json()["message"]
    assert [p for p in Path(settings.files_dir).rglob("*") if p.is_file()] == [] and published == []


def test_a_standalone_submission_without_a_chosen_rubric_is_not_reviewed(client: TestClient, world: World) -> None:
    draft = client.post("/api/submissions", json={"title": "自查稿"}, headers=bearer(world, "university")).json()
    up = _upload(client, world, draft["id"]).json()
    assert up["job"]["rubric_id"] is None
    _ingest(up["job"]["id"])
    assert [j["kind"] for j in _jobs(client, world, up["version"]["id"])] == ["ingest"]
    chosen = _upload(client, world, draft["id"], data=report_bytes(4), rubric_id="quality-culture-2026").json()
    _ingest(chosen["job"]["id"])
    assert [j["rubric_id"] for j in _reviews(client, world, chosen["version"]["id"])] == ["quality-culture-2026"]


def test_a_redelivered_ingest_queues_no_second_review(
    client: TestClient, world: World, db: Session, published: list
) -> None:
    up = _upload(client, world, world.own.submission_id).json()
    _ingest(up["job"]["id"])
    # The worker died after queueing the review but before recording success: the job is re-run.
    db.execute(
        update(Job)
        .where(Job.id == up["job"]["id"])
        .values(status=JobStatus.RUNNING, heartbeat_at=utcnow() - dt.timedelta(hours=1), claim_token="dead")
    )
    db.commit()
    _ingest(up["job"]["id"])
    ingest = client.get(f"/api/jobs/{up['job']['id']}", headers=bearer(world, "university")).json()
    assert ingest["status"] == "succeeded"
    assert len(_reviews(client, world, up["version"]["id"])) == 1
    assert [kind for _, kind in published].count(JobKind.REVIEW) == 1


def test_a_failed_ingest_queues_no_review(client: TestClient, world: World) -> None:
    corrupt = b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml" + b"\xff" * 500
    up = _upload(client, world, world.own.submission_id, data=corrupt).json()
    _ingest(up["job"]["id"])
    assert [j["status"] for j in _jobs(client, world, up["version"]["id"])] == ["failed"]
