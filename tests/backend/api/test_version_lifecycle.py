"""A version whose processing fails: every way its job fails leaves it 处理失败 with the reason, a review
request says why, and the owner can delete it (the original stays stored) and upload the file again."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import Job, JobKind, JobStatus
from backend.db.queries import audit
from backend.errors import AppError, ErrorCode
from backend.ingest.flows import run_ingest_job
from backend.jobs.run import JobRun, run_job
from backend.jobs.sweeper import sweep_stale_jobs
from backend.storage import file_store
from tests.backend.api.conftest import World, bearer
from tests.backend.service_fixtures import report_bytes
from tests.fakes import KeywordEmbedder


class FakeTask:
    """A bound Celery task on its ``retries``-th retry; ``retry`` hands back the exception to raise."""

    def __init__(self, retries: int = 0) -> None:
        self.request = SimpleNamespace(retries=retries)

    def retry(self, exc: BaseException, countdown: float, max_retries: int) -> Exception:
        return RuntimeError(f"retry in {countdown:.1f}s after {exc!r}")


@pytest.fixture(autouse=True)
def worker_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job runner reads Settings from the environment, as in a worker process."""
    monkeypatch.setenv("CIQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIQA_DATABASE_URL", settings.database_url)


def _upload(client: TestClient, world: World, data: bytes = b"", role: str = "university") -> dict:
    response = client.post(
        f"/api/submissions/{world.own.submission_id}/versions",
        files={"file": ("自评报告.txt", data or report_bytes())},
        headers=bearer(world, role),
    )
    assert response.status_code == 202, response.text
    return response.json()


def _ingest(job_id: int) -> None:
    run_job(FakeTask(), job_id, lambda r: run_ingest_job(r, embedder_factory=lambda s: KeywordEmbedder()))


def _version(client: TestClient, world: World, version_id: int) -> dict:
    return client.get(f"/api/versions/{version_id}", headers=bearer(world, "university")).json()


def _job(client: TestClient, world: World, job_id: int) -> dict:
    return client.get(f"/api/jobs/{job_id}", headers=bearer(world, "university")).json()


def _bad_file(run: JobRun) -> None:
    run.progress("parse", 10)
    raise AppError(ErrorCode.BAD_FILE, "文件中没有可读取的文字。", "no text")


def _crash(run: JobRun) -> None:
    run.progress("parse", 10)
    raise ZeroDivisionError("bug")


def _database_down(run: JobRun) -> None:
    raise OperationalError("SELECT 1", {}, Exception("database is locked"))


@pytest.mark.parametrize(
    ("work", "last_retry", "reason"),
    [
        (_bad_file, False, "文件中没有可读取的文字。"),
        (_crash, False, "处理失败：系统内部错误，请联系管理员。"),
        (_database_down, True, "服务暂时不可用，多次重试后仍失败，请稍后重新提交。"),
    ],
    ids=["app-error", "unexpected-exception", "retries-exhausted"],
)
def test_a_failed_ingest_job_leaves_its_version_failed_with_the_reason(
    client: TestClient, world: World, settings: Settings, work, last_retry: bool, reason: str
) -> None:
    body = _upload(client, world)
    run_job(FakeTask(settings.job_max_retries if last_retry else 0), body["job"]["id"], work)
    version = _version(client, world, body["version"]["id"])
    assert (version["status"], version["status_zh"], version["error_zh"]) == ("failed", "处理失败", reason)
    assert _job(client, world, body["job"]["id"])["error_zh"] == reason


def test_a_job_that_keeps_dying_is_failed_by_the_sweeper_path_and_its_version_too(
    client: TestClient, world: World, db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _upload(client, world)
    job_id = body["job"]["id"]
    # Its last allowed attempt died mid-ingest: running, no heartbeat for an hour.
    db.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=JobStatus.RUNNING,
            attempts=settings.job_max_attempts,
            heartbeat_at=utcnow() - dt.timedelta(hours=1),
            claim_token="dead",
        )
    )
    db.commit()
    monkeypatch.setattr("backend.jobs.sweeper.publish_and_record", lambda session, *, job, settings: True)
    assert sweep_stale_jobs(settings) == 1
    _ingest(job_id)
    version = _version(client, world, body["version"]["id"])
    assert version["status"] == "failed" and version["error_zh"].startswith("多次处理均未完成")
    assert _job(client, world, job_id)["status"] == "failed"


def test_review_of_a_failed_version_says_it_failed_and_why(client: TestClient, world: World) -> None:
    response = client.post(
        f"/api/versions/{world.own.failed_version_id}/reviews",
        json={"rubric_id": "quality-culture-2026"},
        headers=bearer(world, "university"),
    )
    assert response.status_code == 409
    message = response.json()["message"]
    assert "处理失败" in message and "文件已损坏，无法读取。" in message and "尚未处理完成" not in message


def test_owner_deletes_a_failed_version_and_uploads_the_file_again(
    client: TestClient, world: World, db: Session, settings: Settings
) -> None:
    corrupt = b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml" + b"\xff" * 500
    body = _upload(client, world, corrupt)
    _ingest(body["job"]["id"])
    version_id, uni = body["version"]["id"], bearer(world, "university")
    assert _version(client, world, version_id)["status"] == "failed"

    deleted = client.delete(f"/api/versions/{version_id}", headers=uni)
    assert deleted.status_code == 204, deleted.text
    assert client.get(f"/api/versions/{version_id}", headers=uni).status_code == 404
    assert client.get(f"/api/jobs/{body['job']['id']}", headers=uni).status_code == 404
    listed = client.get(f"/api/submissions/{world.own.submission_id}/versions", headers=uni).json()
    assert version_id not in [v["id"] for v in listed]
    assert file_store(settings).read(body["version"]["sha256"]) == corrupt
    [event] = audit.list_events(db, object_type="document_version", object_id=version_id, actor_id=None)[:1]
    assert event.action == "version.delete" and event.actor_id == world.user_ids["university"]
    assert body["version"]["sha256"] in event.detail

    # The same bytes again: the version comes back (same id, ids are never reused) with a fresh ingest job.
    again = _upload(client, world, corrupt)
    assert again["created"] is True and again["job"]["id"] != body["job"]["id"]
    assert again["version"]["id"] == version_id and again["version"]["status"] == "uploaded"
    assert again["version"]["error_zh"] is None
    assert [v["id"] for v in client.get(f"/api/submissions/{world.own.submission_id}/versions", headers=uni).json()][
        -1
    ] == version_id


def test_uploading_the_bytes_of_a_failed_version_again_processes_them_again(
    client: TestClient, world: World, published: list
) -> None:
    first = _upload(client, world)
    run_job(FakeTask(), first["job"]["id"], _crash)
    again = _upload(client, world)
    assert again["created"] is True and again["version"]["id"] == first["version"]["id"]
    _ingest(again["job"]["id"])
    version = _version(client, world, first["version"]["id"])
    assert (version["status"], version["error_zh"]) == ("ready", None)
    ingests = [job_id for job_id, kind in published if kind is JobKind.INGEST]
    assert ingests == [first["job"]["id"], again["job"]["id"]]
    # Bytes of a version that did not fail are not processed twice.
    assert _upload(client, world)["created"] is False
    assert [job_id for job_id, kind in published if kind is JobKind.INGEST] == ingests


def test_only_a_failed_version_can_be_deleted(client: TestClient, world: World) -> None:
    response = client.delete(f"/api/versions/{world.own.version_id}", headers=bearer(world, "university"))
    assert response.status_code == 409 and "处理失败" in response.json()["message"]
    assert _version(client, world, world.own.version_id)["status"] == "ready"


def test_delete_is_refused_for_another_institution_and_for_experts(client: TestClient, world: World) -> None:
    other = client.delete(f"/api/versions/{world.other.failed_version_id}", headers=bearer(world, "university"))
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    expert = client.delete(f"/api/versions/{world.own.failed_version_id}", headers=bearer(world, "expert"))
    assert expert.status_code == 403 and expert.json()["code"] == "forbidden"
    assert _version(client, world, world.own.failed_version_id)["status"] == "failed"
