"""A real `ciqa worker` (Celery, prefork) in a subprocess: on the embedded SQLite broker and on
Redis + PostgreSQL; and a worker SIGKILLed mid-ingest whose job a new worker completes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from backend import storage
from backend.config import Settings
from backend.db.models import Job, JobStatus
from backend.db.queries import chunks, jobs, versions
from backend.db.session import session_scope
from backend.ingest import flows
from indexing.parsing.ocr import available_cores
from tests.backend.service_fixtures import make_tenant, report_bytes

REPO = Path(__file__).resolve().parents[3]
MODES = ["embedded", pytest.param("deployment", marks=pytest.mark.integration)]


@dataclass
class Service:
    """Settings of one way to run, and the environment that gives a worker process the same settings."""

    settings: Settings
    env: dict[str, str]
    log_dir: Path


@pytest.fixture(params=MODES)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Service:
    data_dir = tmp_path / "var"
    env = {
        **os.environ,
        "CIQA_DATA_DIR": str(data_dir),
        "CIQA_EMBEDDER": "e5",
        "CIQA_EMBED_BATCH_SIZE": "4",
        "CIQA_JOB_STALE_AFTER_S": "6",
        "CIQA_JOB_SWEEP_INTERVAL_S": "1",
        "CIQA_QUEUE_NAME": f"ciqa-test-{uuid.uuid4().hex[:8]}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    if request.param == "deployment":
        env["CIQA_DATABASE_URL"] = request.getfixturevalue("own_pg_url")
        env["CIQA_BROKER_URL"] = request.getfixturevalue("redis_url")
    else:
        data_dir.mkdir()
        shutil.copy(request.getfixturevalue("sqlite_template"), data_dir / "ciqa.sqlite")
    settings = Settings(
        data_dir=data_dir,
        database_url=env.get("CIQA_DATABASE_URL", ""),
        broker_url=env.get("CIQA_BROKER_URL", ""),
        queue_name=env["CIQA_QUEUE_NAME"],
    )
    return Service(settings, env, tmp_path)


class Worker:
    """A `ciqa worker` process group."""

    def __init__(self, service: Service, name: str, **env: str) -> None:
        self.log = service.log_dir / f"{name}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "worker", "--concurrency", "1"],
            cwd=REPO,
            env=service.env | env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text("utf-8", "replace")[-3000:]


@pytest.fixture
def workers(service: Service) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def _upload(service: Service, sections: int) -> flows.UploadResult:
    with session_scope(service.settings) as db:
        tenant = make_tenant(db)
        return flows.upload_version(
            db,
            submission_id=tenant.submission.id,
            data=report_bytes(sections),
            original_name="自评报告.txt",
            user_id=tenant.user.id,
            settings=service.settings,
        )


def _job(service: Service, job_id: int) -> Job:
    with session_scope(service.settings) as db:
        return jobs.get_job(db, job_id=job_id)


def _wait(service: Service, job_id: int, done: object, timeout: float, worker: Worker) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(service, job_id)
        if done(job):
            return job
        if worker.proc.poll() is not None:
            pytest.fail(f"worker exited with {worker.proc.returncode}:\n{worker.tail()}")
        time.sleep(0.1)
    pytest.fail(f"job {job_id} still {job.status} {job.stage} {job.progress}% after {timeout}s:\n{worker.tail()}")


def _chunk_keys(db: Session, version_id: int) -> list[str]:
    return [c.chunk_key for c in chunks.list_chunks(db, version_id=version_id)]


def test_worker_process_ingests_an_upload(service: Service, workers: list[Worker]) -> None:
    result = _upload(service, sections=3)
    workers.append(Worker(service, "worker"))
    job = _wait(service, result.job_id, lambda j: j.status in (JobStatus.SUCCEEDED, JobStatus.FAILED), 120, workers[0])
    assert (job.status, job.progress, job.attempts) == (JobStatus.SUCCEEDED, 100, 1), job.error_detail
    with session_scope(service.settings) as db:
        version = versions.get_version(db, version_id=result.version_id)
        assert version.parse_stats is not None
        assert chunks.count_chunks(db, version_id=result.version_id) == version.parse_stats.chunks > 0
    assert (storage.index_dir(service.settings, result.version_id) / "manifest.json").is_file()
    if service.settings.broker_url.startswith("sqla+"):
        # The worker's sweeper deletes the delivered message from the embedded broker (kombu keeps it otherwise).
        deadline = time.monotonic() + 15
        while _broker_messages(service) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _broker_messages(service) == 0, workers[0].tail()


@pytest.mark.slow
@pytest.mark.parametrize("service", ["embedded"], indirect=True)
def test_worker_process_ocrs_a_scanned_upload_in_parallel_processes(service: Service, workers: list[Worker]) -> None:
    """A Celery prefork pool process is daemonic, and multiprocessing refuses children to daemonic processes."""
    with session_scope(service.settings) as db:
        tenant = make_tenant(db)
        result = flows.upload_version(
            db,
            submission_id=tenant.submission.id,
            data=(REPO / "tests" / "files" / "realistic" / "scanned.pdf").read_bytes(),
            original_name="扫描件.pdf",
            user_id=tenant.user.id,
            settings=service.settings,
        )
    workers.append(Worker(service, "worker", CIQA_OCR_WORKERS="0"))
    job = _wait(service, result.job_id, lambda j: j.status in (JobStatus.SUCCEEDED, JobStatus.FAILED), 300, workers[0])
    assert job.status is JobStatus.SUCCEEDED, job.error_detail
    with session_scope(service.settings) as db:
        stats = versions.get_version(db, version_id=result.version_id).parse_stats
        assert stats is not None and stats.ocr_pages == 4 and stats.warnings == () and stats.chunks > 5
    processes = min(4, available_cores())
    assert f"OCR of 4 pages in {processes} processes" in workers[0].log.read_text("utf-8", "replace")


def _broker_messages(service: Service) -> int:
    with sqlite3.connect(service.settings.data_dir / "broker.sqlite") as db:
        return db.execute("SELECT count(*) FROM kombu_message").fetchone()[0]


@pytest.mark.slow
def test_sigkilled_worker_mid_ingest_then_new_worker_completes_the_job(service: Service, workers: list[Worker]) -> None:
    result = _upload(service, sections=14)
    first = Worker(service, "killed")
    workers.append(first)
    embedding = _wait(service, result.job_id, lambda j: j.stage == "embed" and j.progress > 40, 120, first)
    first.kill()
    with session_scope(service.settings) as db:
        saved = _chunk_keys(db, result.version_id)
    # Chunks are saved with the finished index, so a worker killed while embedding leaves none behind.
    assert embedding.status is JobStatus.RUNNING and saved == []

    second = Worker(service, "second")
    workers.append(second)
    job = _wait(service, result.job_id, lambda j: j.status in (JobStatus.SUCCEEDED, JobStatus.FAILED), 180, second)
    assert (job.status, job.progress, job.attempts) == (JobStatus.SUCCEEDED, 100, 2), job.error_detail
    with session_scope(service.settings) as db:
        keys = _chunk_keys(db, result.version_id)
        assert len(keys) > 10 and len(set(keys)) == len(keys)
        assert len(jobs.list_jobs(db, version_id=result.version_id)) == 1
        version = versions.get_version(db, version_id=result.version_id)
        assert len(versions.list_versions(db, submission_id=version.submission_id)) == 1
    manifest = json.loads((storage.index_dir(service.settings, result.version_id) / "manifest.json").read_text())
    assert manifest["documents"][0]["chunk_count"] == len(keys)
    assert "re-queueing job" in second.tail()
