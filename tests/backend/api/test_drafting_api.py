"""Drafting through the API with real files and real jobs: upload 支撑材料 (PDF, DOCX) → ingest → draft job with
progress → read the cited draft → edit a section → DOCX → finalise as a report version that is ingested and reviewed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient

from backend.db.models import JobKind
from backend.db.session import session_scope
from backend.drafting.flows import run_draft_job
from backend.jobs.progress import JobProgress
from backend.jobs.run import run_job
from corpus.generator import generate_report
from eval.drafting_eval import split_materials
from tests.backend.api.conftest import World, bearer
from tests.backend.api.test_end_to_end import FakeTask, worker  # noqa: F401  (the worker fixture)
from tests.fakes import KeywordEmbedder

RUBRIC = "audit-2021-type2"


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    """A generated report cut into supporting files at its chapters (PDF and DOCX alternately)."""
    return split_materials(generate_report(11, pages=8, omit=frozenset({"3.1.5"})), tmp_path)


def _submission_with_materials(client: TestClient, world: World, worker, files: list[Path]) -> int:  # noqa: F811
    uni = bearer(world, "university")
    created = client.post("/api/submissions", json={"title": "2026 自评报告"}, headers=uni)
    assert created.status_code == 201, created.text
    submission_id = created.json()["id"]
    for path in files:
        up = client.post(
            f"/api/submissions/{submission_id}/versions",
            files={"file": (path.name, path.read_bytes())},
            data={"role": "supporting"},
            headers=uni,
        )
        assert up.status_code == 202, up.text
        worker.ingest(up.json()["job"]["id"])
    return submission_id


def _run_draft(job_id: int) -> None:
    embedder = KeywordEmbedder()
    run_job(
        FakeTask(),
        job_id,
        lambda r: run_draft_job(
            r.session,
            r.job_id,
            r.settings,
            JobProgress(JobKind.DRAFT_REPORT, r.progress),
            embedder_factory=lambda s: embedder,
        ),
    )


def test_draft_from_uploaded_materials_edit_export_and_finalise(
    client: TestClient,
    world: World,
    worker,  # noqa: F811
    files: list[Path],
    published,
) -> None:
    uni = bearer(world, "university")
    submission_id = _submission_with_materials(client, world, worker, files)
    started = client.post(f"/api/submissions/{submission_id}/drafts", json={"rubric_id": RUBRIC}, headers=uni)
    assert started.status_code == 202, started.text
    draft = started.json()
    assert draft["content"] is None and draft["job"]["kind"] == "draft_report" and draft["job"]["status"] == "queued"
    assert published[-1] == (draft["job"]["id"], JobKind.DRAFT_REPORT)

    _run_draft(draft["job"]["id"])
    job = client.get(f"/api/jobs/{draft['job']['id']}", headers=uni).json()
    assert job["status"] == "succeeded" and job["progress"] == 100, job
    # The draft job is seen through its submission: an expert not assigned to it gets 404, as for a missing job.
    hidden = client.get(f"/api/jobs/{draft['job']['id']}", headers=bearer(world, "expert"))
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    body = client.get(f"/api/drafts/{draft['id']}", headers=uni).json()
    content = body["content"]
    assert [c["indicator_id"] for c in content["chapters"]] == ["1", "2", "3", "4", "5", "6", "7"]
    assert {d["name"] for d in content["documents"]} == {p.name for p in files}
    sentences = [s for c in content["chapters"] for sec in c["sections"] for p in sec["points"] for s in p["sentences"]]
    assert len(sentences) > 50
    assert all(s["text"] == s["evidence"]["quote"] for s in sentences)  # extractive: verbatim quotes
    assert any(s["evidence"]["page_start"] for s in sentences)
    assert "3.1.5" in {g["point_id"] for g in content["gaps"]}

    edited = client.put(
        f"/api/drafts/{draft['id']}/sections/1.1", json={"text": "学校党委全面领导本科教育。"}, headers=uni
    )
    assert edited.status_code == 200 and edited.json()["edits"][0]["indicator_id"] == "1.1"
    docx = client.get(f"/api/drafts/{draft['id']}/docx", headers=uni)
    assert docx.status_code == 200 and docx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "学校党委全面领导本科教育。" in [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]

    final = client.post(f"/api/drafts/{draft['id']}/finalise", headers=uni)
    assert final.status_code == 202, final.text
    version = final.json()["version"]
    assert version["role"] == "main" and version["original_name"].endswith("自评报告（草稿）.docx")
    worker.ingest(final.json()["job"]["id"])
    assert client.get(f"/api/versions/{version['id']}", headers=uni).json()["status"] == "ready"
    # A standalone submission's finalised draft is reviewed with the draft's rubric, like an upload choosing it.
    [review_job] = [
        j for j in client.get(f"/api/versions/{version['id']}/jobs", headers=uni).json() if j["kind"] == "review"
    ]
    assert review_job["rubric_id"] == RUBRIC
    worker.review(review_job["id"])
    [review] = client.get(f"/api/versions/{version['id']}/reviews", headers=uni).json()
    full = client.get(f"/api/reviews/{review['id']}", headers=uni).json()
    assert full["rubric_id"] == RUBRIC and full["assessments"]
    again = client.put(f"/api/drafts/{draft['id']}/sections/1.1", json={"text": "再改"}, headers=uni)
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_rerunning_a_draft_job_stores_nothing_twice(client: TestClient, world: World, worker, files) -> None:  # noqa: F811
    uni = bearer(world, "university")
    submission_id = _submission_with_materials(client, world, worker, files[:2])
    draft = client.post(f"/api/submissions/{submission_id}/drafts", json={"rubric_id": RUBRIC}, headers=uni).json()
    _run_draft(draft["job"]["id"])
    first = client.get(f"/api/drafts/{draft['id']}", headers=uni).json()["content"]
    assert first is not None
    with session_scope(client.app.state.settings) as session:
        assert run_draft_job(session, draft["job"]["id"], client.app.state.settings) == draft["id"]
    assert client.get(f"/api/drafts/{draft['id']}", headers=uni).json()["content"] == first


def test_bad_requests_get_clear_chinese_errors(client: TestClient, world: World) -> None:
    uni = bearer(world, "university")
    created = client.post("/api/submissions", json={"title": "无材料"}, headers=uni).json()
    none = client.post(f"/api/submissions/{created['id']}/drafts", json={"rubric_id": RUBRIC}, headers=uni)
    assert none.status_code == 422 and "支撑材料" in none.json()["message"]
    wrong = client.post(f"/api/submissions/{created['id']}/drafts", json={"rubric_id": "case-selection"}, headers=uni)
    assert wrong.status_code == 422 and "指标体系" in wrong.json()["message"]
    llm = client.post(
        f"/api/submissions/{world.own.submission_id}/drafts", json={"rubric_id": RUBRIC, "drafter": "llm"}, headers=uni
    )
    assert llm.status_code == 422 and "大模型" in llm.json()["message"]
    long = client.put(f"/api/drafts/{world.own.draft_id}/sections/1.1", json={"text": "字" * 20001}, headers=uni)
    assert long.status_code == 422
