"""Upload and ingest flows: deduplication, hostile names, progress per stage, idempotent re-runs,
failures that keep the original, through the same job runner the Celery task uses."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend import storage
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import Job, JobKind, JobStatus, VersionStatus
from backend.db.queries import audit, chunks, facts, jobs, versions
from backend.errors import AppError, ErrorCode
from backend.ingest import flows
from backend.jobs import enqueue
from backend.jobs.progress import JobProgress
from backend.jobs.run import JobRun, run_job
from backend.storage import file_store
from tests.backend.service_fixtures import Tenant, report_bytes
from tests.fakes import KeywordEmbedder


def fake_embedder(settings: Settings) -> KeywordEmbedder:
    return KeywordEmbedder()


class FakeTask:
    """What run_job needs of a bound Celery task."""

    request = SimpleNamespace(retries=0)

    def retry(self, exc: BaseException, countdown: float, max_retries: int) -> Exception:
        return RuntimeError(f"retry in {countdown:.1f}s after {exc!r}")


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Job ids published to the broker (no broker involved)."""
    sent: list[int] = []
    monkeypatch.setattr(enqueue, "publish", lambda job_id, kind, settings: sent.append(job_id))
    return sent


def _upload(db: Session, tenant: Tenant, settings: Settings, data: bytes, name: str = "自评报告.txt"):
    return flows.upload_version(
        db,
        submission_id=tenant.submission.id,
        data=data,
        original_name=name,
        user_id=tenant.user.id,
        settings=settings,
    )


@pytest.fixture(autouse=True)
def worker_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job runner reads Settings from the environment, as in a worker process."""
    monkeypatch.setenv("CIQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIQA_DATABASE_URL", settings.database_url)


def _run(job_id: int) -> None:
    run_job(FakeTask(), job_id, lambda run: flows.run_ingest_job(run, embedder_factory=fake_embedder))


def test_same_bytes_twice_is_one_version_and_one_job(
    db: Session, tenant: Tenant, settings: Settings, published: list[int]
) -> None:
    first = _upload(db, tenant, settings, report_bytes())
    second = _upload(db, tenant, settings, report_bytes(), name="again.txt")
    assert first.created and not second.created
    assert (second.version_id, second.job_id) == (first.version_id, first.job_id)
    assert published == [first.job_id]
    assert len(versions.list_versions(db, submission_id=tenant.submission.id)) == 1
    assert len(jobs.list_jobs(db, version_id=first.version_id)) == 1
    assert jobs.get_job(db, job_id=first.job_id).enqueued_at is not None
    assert [e.action for e in audit.list_events(db, object_type="document_version", object_id=first.version_id)] == [
        "version.upload"
    ]


def test_job_is_committed_before_it_is_published(
    db: Session, tenant: Tenant, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.db.session import session_scope

    seen: list[JobStatus] = []

    def publish(job_id: int, kind: JobKind, settings: Settings) -> None:
        with session_scope(settings) as other:  # another connection sees only committed rows
            seen.append(jobs.get_job(other, job_id=job_id).status)

    monkeypatch.setattr(enqueue, "publish", publish)
    _upload(db, tenant, settings, report_bytes())
    assert seen == [JobStatus.QUEUED]


@pytest.mark.parametrize(
    ("name", "shown"),
    [("../../etc/passwd", "passwd"), ("报告\x00.txt", "报告.txt"), ("\u202eexe.txt", "exe.txt"), ("..", "未命名文件")],
)
def test_hostile_names_are_sanitised_and_never_paths(
    db: Session, tenant: Tenant, settings: Settings, published: list[int], name: str, shown: str
) -> None:
    data = report_bytes() + name.encode("utf-8", "surrogatepass")
    result = _upload(db, tenant, settings, data, name=name)
    version = versions.get_version(db, version_id=result.version_id)
    assert version.original_name == shown
    stored = file_store(settings).path(version.sha256)
    assert stored.is_file() and stored.is_relative_to(settings.files_dir)
    assert not (settings.data_dir.parent / "etc").exists()


def test_very_long_name_is_shortened(db: Session, tenant: Tenant, settings: Settings, published: list[int]) -> None:
    result = _upload(db, tenant, settings, report_bytes(), name="长" * 1000 + ".pdf")
    name = versions.get_version(db, version_id=result.version_id).original_name
    assert len(name) <= 200 and name.endswith(".pdf")


def test_size_limit_and_empty_file(db: Session, tenant: Tenant, settings: Settings, published: list[int]) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 10})
    with pytest.raises(AppError) as err:
        _upload(db, tenant, small, report_bytes())
    assert err.value.code is ErrorCode.TOO_LARGE
    with pytest.raises(AppError) as err:
        _upload(db, tenant, settings, b"")
    assert err.value.code is ErrorCode.BAD_FILE
    assert published == []


def test_ingest_saves_chunks_index_and_reports_stages(
    db: Session, tenant: Tenant, settings: Settings, published: list[int]
) -> None:
    result = _upload(db, tenant, settings, report_bytes())
    seen: list[tuple[str, int]] = []
    progress = JobProgress(JobKind.INGEST, lambda stage, pct: seen.append((stage, pct)))
    out = flows.ingest_version(db, result.version_id, settings, progress, embedder_factory=fake_embedder)
    stages = list(dict.fromkeys(stage for stage, _ in seen))
    assert stages == ["parse", "facts", "chunk", "embed", "index", "save"]
    percents = [pct for _, pct in seen]
    assert percents == sorted(percents) and percents[-1] == 100
    version = versions.get_version(db, version_id=result.version_id)
    assert version.status is VersionStatus.READY
    assert version.media_type == "text/plain"
    assert version.parse_stats is not None and version.parse_stats.chunks == out.chunk_count > 0
    assert chunks.count_chunks(db, version_id=result.version_id) == out.chunk_count
    manifest = json.loads((storage.index_dir(settings, result.version_id) / "manifest.json").read_text("utf-8"))
    assert manifest["documents"][0]["chunk_count"] == out.chunk_count
    assert manifest["documents"][0]["id"] == version.sha256
    stored = {(f.metric, f.value, f.unit) for f in facts.list_facts(db, version_id=result.version_id)}
    assert {("生师比", 17.5, ":1"), ("具有博士学位教师占比", 45.0, "%")} <= stored
    assert version.parse_stats.facts == len(stored)


def test_version_ingested_before_facts_gets_them_on_review(
    db: Session, tenant: Tenant, settings: Settings, published: list[int]
) -> None:
    """A version ready before fact extraction existed (no count recorded) has its facts extracted once, then kept."""
    result = _upload(db, tenant, settings, report_bytes())
    flows.ingest_version(db, result.version_id, settings, embedder_factory=fake_embedder)
    version = versions.get_version(db, version_id=result.version_id)
    assert version.parse_stats is not None
    facts.replace_facts(db, version_id=result.version_id, facts=[])
    versions.set_parse_stats(
        db, version_id=result.version_id, stats=version.parse_stats.model_copy(update={"facts": None})
    )
    db.commit()
    found = flows.version_facts(db, result.version_id, settings)
    assert any(f.metric == "生师比" and f.value == 17.5 for f in found)
    assert facts.list_facts(db, version_id=result.version_id) == found
    assert versions.get_version(db, version_id=result.version_id).parse_stats.facts == len(found)


def test_job_runs_to_progress_100(
    db: Session, tenant: Tenant, settings: Settings, published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _upload(db, tenant, settings, report_bytes())
    _run(result.job_id)
    job = jobs.get_job(db, job_id=result.job_id)
    assert (job.status, job.progress, job.stage, job.attempts) == (JobStatus.SUCCEEDED, 100, "save", 1)
    assert job.finished_at is not None and job.error_zh is None


def test_corrupt_file_fails_the_job_in_chinese_and_keeps_the_original(
    db: Session, tenant: Tenant, settings: Settings, published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 20
    result = _upload(db, tenant, settings, data, name="坏文件.pdf")
    _run(result.job_id)
    job = jobs.get_job(db, job_id=result.job_id)
    assert job.status is JobStatus.FAILED
    assert job.error_code == ErrorCode.BAD_FILE.value
    assert job.error_zh and any("\u4e00" <= ch <= "\u9fff" for ch in job.error_zh)
    version = versions.get_version(db, version_id=result.version_id)
    assert version.status is VersionStatus.FAILED and version.error_zh == job.error_zh
    assert file_store(settings).read(version.sha256) == data
    assert chunks.count_chunks(db, version_id=result.version_id) == 0


def test_redelivered_message_for_a_finished_job_does_nothing(
    db: Session, tenant: Tenant, settings: Settings, published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _upload(db, tenant, settings, report_bytes())
    _run(result.job_id)
    count = chunks.count_chunks(db, version_id=result.version_id)
    calls: list[int] = []
    run_job(FakeTask(), result.job_id, lambda run: calls.append(run.job_id))
    assert calls == []
    assert jobs.get_job(db, job_id=result.job_id).attempts == 1
    assert chunks.count_chunks(db, version_id=result.version_id) == count


def test_rerun_after_a_crash_creates_no_duplicate_chunks(
    db: Session, tenant: Tenant, settings: Settings, published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _upload(db, tenant, settings, report_bytes(sections=6))
    _run(result.job_id)
    keys = [c.chunk_key for c in chunks.list_chunks(db, version_id=result.version_id)]
    # Simulate a worker that died after saving chunks: running, heartbeat long gone.
    long_ago = utcnow() - dt.timedelta(hours=1)
    db.execute(
        update(Job)
        .where(Job.id == result.job_id)
        .values(status=JobStatus.RUNNING, heartbeat_at=long_ago, claim_token="dead", progress=40)
    )
    db.commit()
    _run(result.job_id)
    job = jobs.get_job(db, job_id=result.job_id)
    assert (job.status, job.attempts, job.progress) == (JobStatus.SUCCEEDED, 2, 100)
    assert [c.chunk_key for c in chunks.list_chunks(db, version_id=result.version_id)] == keys
    assert len(keys) == len(set(keys)) > 3


def test_live_job_is_left_to_its_attempt(
    db: Session, tenant: Tenant, settings: Settings, published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _upload(db, tenant, settings, report_bytes())
    db.execute(
        update(Job)
        .where(Job.id == result.job_id)
        .values(status=JobStatus.RUNNING, heartbeat_at=utcnow(), claim_token="live")
    )
    db.commit()
    calls: list[JobRun] = []
    run_job(FakeTask(), result.job_id, calls.append)
    assert calls == []


def test_transient_error_releases_the_job_for_a_retry(
    db: Session, tenant: Tenant, settings: Settings, published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    result = _upload(db, tenant, settings, report_bytes())

    def flaky(run: JobRun) -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    with pytest.raises(RuntimeError, match="retry in"):
        run_job(FakeTask(), result.job_id, flaky)
    job = jobs.get_job(db, job_id=result.job_id)
    assert (job.status, job.claim_token) == (JobStatus.QUEUED, None)


def test_unpublished_and_dead_jobs_are_swept(
    db: Session, tenant: Tenant, settings: Settings, published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.jobs.sweeper import sweep_stale_jobs

    result = _upload(db, tenant, settings, report_bytes())
    published.clear()
    long_ago = utcnow() - dt.timedelta(hours=1)
    db.execute(
        update(Job)
        .where(Job.id == result.job_id)
        .values(status=JobStatus.RUNNING, heartbeat_at=long_ago, claim_token="x")
    )
    db.commit()
    monkeypatch.setattr("backend.jobs.sweeper.publish_and_record", _record_into(published))
    assert sweep_stale_jobs(settings) == 1
    assert published == [result.job_id]
    assert jobs.get_job(db, job_id=result.job_id).status is JobStatus.QUEUED
    assert sweep_stale_jobs(settings) == 0


def _record_into(sent: list[int]):
    def publish_and_record(session: Session, *, job: Job, settings: Settings) -> bool:
        sent.append(job.id)
        jobs.mark_enqueued(session, job_id=job.id, now=utcnow())
        session.commit()
        return True

    return publish_and_record
