"""The life of a job attempt: claim, heartbeat, progress, outcome, retry.

A task message only carries a job id. The job row decides whether there is work to do: an attempt
claims it with a conditional update, so a re-delivered message for a finished or live job does nothing.
While it runs, a heartbeat thread keeps the claim fresh; if the worker is killed, the heartbeat stops,
the sweeper (``sweeper.py``, in every worker) finds the job stale and re-queues it, and the next attempt redoes it —
every flow is idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import Job
from backend.db.queries import jobs as job_queries
from backend.db.session import session_factory, session_scope
from backend.errors import AppError

log = logging.getLogger(__name__)

# Errors worth retrying: the database or broker is briefly unreachable, or SQLite stayed locked.
TRANSIENT_ERRORS = (OperationalError, ConnectionError, TimeoutError)
# Job error codes for failures that are not an AppError (ErrorCode has no internal/unavailable code).
INTERNAL_ERROR = "internal"
UNAVAILABLE_ERROR = "unavailable"
MAX_BACKOFF_S = 600.0


class ClaimLost(Exception):
    """This attempt no longer holds its job (it was presumed dead and re-queued); stop quietly."""


@dataclass
class JobRun:
    """One attempt at a job: what a flow needs to report progress under the attempt's claim."""

    session: Session
    job: Job
    token: str
    settings: Settings
    lost: threading.Event = field(default_factory=threading.Event)
    _last: tuple[str, int] | None = None

    @property
    def job_id(self) -> int:
        """Id of the job."""
        return self.job.id

    def progress(self, stage: str, percent: int) -> None:
        """Record stage and overall percent (commits the session: call between units of work)."""
        if self.lost.is_set():
            raise ClaimLost(self.job_id)
        if self._last == (stage, percent):
            return
        held = job_queries.set_progress(
            self.session, job_id=self.job_id, token=self.token, stage=stage, progress=percent, now=utcnow()
        )
        self.session.commit()
        if not held:
            raise ClaimLost(self.job_id)
        self._last = (stage, percent)


class JobOutcome(StrEnum):
    """How one call of run_job ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # finished already, or held by a live attempt
    LOST = "lost"


class TaskRequest(Protocol):
    """The part of a Celery task request run_job reads."""

    retries: int | None


class RetryingTask(Protocol):
    """What run_job needs of a bound Celery task: its retry count and ``retry()``."""

    request: TaskRequest

    def retry(self, exc: BaseException, countdown: float, max_retries: int) -> Exception: ...


class JobWork(Protocol):
    """The body of a job: a flow call that raises AppError for permanent failures."""

    def __call__(self, run: JobRun) -> None: ...


class _Heartbeat:
    """Refreshes the claim every third of the stale period from its own connection."""

    def __init__(self, run: JobRun) -> None:
        self.run = run
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-job-{run.job_id}", daemon=True)

    def _beat(self) -> None:
        make_session = session_factory(self.run.settings)
        while not self.stopped.wait(self.run.settings.job_stale_after_s / 3):
            try:
                with make_session() as session:
                    held = job_queries.heartbeat(session, job_id=self.run.job_id, token=self.run.token, now=utcnow())
                    session.commit()
                if not held:
                    self.run.lost.set()
                    return
            except TRANSIENT_ERRORS:
                log.warning("heartbeat of job %s failed", self.run.job_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


def backoff_s(retries: int, settings: Settings) -> float:
    """Exponential back-off with jitter before retry number ``retries + 1``."""
    return min(MAX_BACKOFF_S, settings.job_retry_backoff_s * 2**retries) * random.uniform(0.5, 1.0)


def _fail(session: Session, job_id: int, token: str, code: str, message_zh: str, detail: str) -> None:
    session.rollback()
    job_queries.fail_job(
        session,
        job_id=job_id,
        token=token,
        error_code=code,
        error_zh=message_zh,
        error_detail=detail,
        now=utcnow(),
    )
    session.commit()


def run_job(
    task: RetryingTask | None, job_id: int, work: JobWork, *, settings: Settings | None = None, take_over: bool = False
) -> JobOutcome:
    """Claim the job, run ``work`` under a heartbeat, and record the outcome.

    AppError fails the job with its Chinese message; a transient error releases the job and retries
    the task with back-off (failing it after ``job_max_retries``, or at once without a ``task`` to retry);
    any other exception fails it as internal. A re-delivered message for a finished or live job returns
    at once. ``take_over`` claims a job another attempt still holds (when no worker can be running it).
    """
    settings = settings or Settings()
    token = uuid.uuid4().hex
    with session_scope(settings) as session:
        now = utcnow()
        stale_before = (
            now + dt.timedelta(seconds=1) if take_over else now - dt.timedelta(seconds=settings.job_stale_after_s)
        )
        job = job_queries.claim_job(session, job_id=job_id, token=token, now=now, stale_before=stale_before)
        session.commit()
        if job is None:
            log.info("job %s is finished or held by a live attempt; nothing to do", job_id)
            return JobOutcome.SKIPPED
        if job.attempts > settings.job_max_attempts:
            _fail(
                session,
                job_id,
                token,
                INTERNAL_ERROR,
                "多次处理均未完成（处理进程可能因该文件异常退出），请检查文件后重新上传。",
                f"claimed {job.attempts} times, limit {settings.job_max_attempts}",
            )
            return JobOutcome.FAILED
        run = JobRun(session=session, job=job, token=token, settings=settings)
        try:
            with _Heartbeat(run):
                work(run)
        except ClaimLost:
            session.rollback()
            log.warning("job %s was re-queued while this attempt ran; leaving it to the new attempt", job_id)
            return JobOutcome.LOST
        except AppError as exc:
            _fail(session, job_id, token, exc.code.value, exc.message_zh, exc.detail)
            return JobOutcome.FAILED
        except TRANSIENT_ERRORS as exc:
            return _retry_or_fail(task, session, job_id, token, settings, exc)
        except Exception as exc:
            log.exception("job %s failed", job_id)
            _fail(session, job_id, token, INTERNAL_ERROR, "处理失败：系统内部错误，请联系管理员。", repr(exc))
            return JobOutcome.FAILED
        job_queries.finish_job(session, job_id=job_id, token=token, now=utcnow())
        session.commit()
        return JobOutcome.SUCCEEDED


def _retry_or_fail(
    task: RetryingTask | None, session: Session, job_id: int, token: str, settings: Settings, exc: BaseException
) -> JobOutcome:
    session.rollback()
    retries = (task.request.retries or 0) if task is not None else settings.job_max_retries
    if retries >= settings.job_max_retries:
        _fail(
            session, job_id, token, UNAVAILABLE_ERROR, "服务暂时不可用，多次重试后仍失败，请稍后重新提交。", repr(exc)
        )
        return JobOutcome.FAILED
    log.warning("job %s hit a transient error, retry %s: %r", job_id, retries + 1, exc)
    try:
        job_queries.release_job(session, job_id=job_id, token=token, now=utcnow())
        session.commit()
    except TRANSIENT_ERRORS:
        # The database is down: the claim goes stale and the sweeper re-queues the job.
        session.rollback()
    raise task.retry(exc=exc, countdown=backoff_s(retries, settings), max_retries=settings.job_max_retries)
