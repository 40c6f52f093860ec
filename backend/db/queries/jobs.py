"""Jobs: creation, claiming by one attempt, progress and heartbeat, outcome, and re-queueing stale ones.

Every write by a running attempt is guarded by its ``claim_token``: once a job has been re-queued and
claimed again, a late write from the old (presumed dead) attempt changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from backend.db.models import DocumentVersion, Job, JobKind, JobStatus, VersionStatus
from backend.errors import AppError, ErrorCode


def create_job(
    session: Session,
    *,
    kind: JobKind,
    version_id: int | None = None,
    campaign_id: int | None = None,
    rubric_id: str | None = None,
    created_by: int | None = None,
    rerun: bool = False,
) -> Job:
    """Add a queued job."""
    job = Job(
        kind=kind,
        status=JobStatus.QUEUED,
        version_id=version_id,
        campaign_id=campaign_id,
        rubric_id=rubric_id,
        created_by=created_by,
        rerun=rerun,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, job_id: int) -> Job:
    """The job with this id (fresh from the database), or NOT_FOUND."""
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        raise AppError(ErrorCode.NOT_FOUND, "任务不存在。", f"no job {job_id}")
    return job


def latest_job(session: Session, *, kind: JobKind, version_id: int, rubric_id: str | None = None) -> Job | None:
    """The most recent job of a kind for a version (with this rubric, if given)."""
    query = select(Job).where(Job.kind == kind, Job.version_id == version_id)
    if rubric_id is not None:
        query = query.where(Job.rubric_id == rubric_id)
    return session.scalars(query.order_by(Job.id.desc()).limit(1)).one_or_none()


def list_jobs(
    session: Session,
    *,
    version_id: int | None = None,
    campaign_id: int | None = None,
    status: JobStatus | None = None,
) -> Sequence[Job]:
    """Jobs, newest first, optionally filtered."""
    query = select(Job).order_by(Job.id.desc())
    if version_id is not None:
        query = query.where(Job.version_id == version_id)
    if campaign_id is not None:
        query = query.where(Job.campaign_id == campaign_id)
    if status is not None:
        query = query.where(Job.status == status)
    return session.scalars(query).all()


def mark_enqueued(session: Session, *, job_id: int, now: dt.datetime) -> None:
    """Record that a message for the job was published."""
    session.execute(update(Job).where(Job.id == job_id).values(enqueued_at=now))


def _claimable(stale_before: dt.datetime) -> ColumnElement[bool]:
    running_but_dead = and_(
        Job.status == JobStatus.RUNNING, or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale_before)
    )
    return or_(Job.status == JobStatus.QUEUED, running_but_dead)


def claim_job(session: Session, *, job_id: int, token: str, now: dt.datetime, stale_before: dt.datetime) -> Job | None:
    """Take the job for one attempt if it is queued, or running with a dead heartbeat; else None.

    None means the job is finished, or a live attempt holds it: a re-delivered message does nothing.
    """
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, _claimable(stale_before))
        .values(
            status=JobStatus.RUNNING,
            claim_token=token,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            progress=0,
            error_code=None,
            error_zh=None,
            error_detail=None,
        )
    ).rowcount
    return get_job(session, job_id=job_id) if claimed == 1 else None


def _held(job_id: int, token: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.claim_token == token, Job.status == JobStatus.RUNNING)


def heartbeat(session: Session, *, job_id: int, token: str, now: dt.datetime) -> bool:
    """Refresh the heartbeat of the attempt holding the job; False if it no longer holds it."""
    return session.execute(update(Job).where(_held(job_id, token)).values(heartbeat_at=now)).rowcount == 1


def set_progress(session: Session, *, job_id: int, token: str, stage: str, progress: int, now: dt.datetime) -> bool:
    """Record the stage and overall progress (0–100) of the attempt holding the job."""
    values = {"stage": stage, "progress": max(0, min(100, progress)), "heartbeat_at": now}
    return session.execute(update(Job).where(_held(job_id, token)).values(**values)).rowcount == 1


def finish_job(session: Session, *, job_id: int, token: str, now: dt.datetime) -> bool:
    """Mark the job succeeded (progress 100)."""
    values = {"status": JobStatus.SUCCEEDED, "progress": 100, "finished_at": now, "claim_token": None}
    return session.execute(update(Job).where(_held(job_id, token)).values(**values)).rowcount == 1


def fail_job(
    session: Session,
    *,
    job_id: int,
    error_code: str,
    error_zh: str,
    error_detail: str,
    now: dt.datetime,
    token: str | None = None,
) -> bool:
    """Mark the job failed with its reason and, for an ingest job, its version not yet ready (in one transaction).

    With a token, only if that attempt still holds the job. Every way a job ends in failure comes here
    (a flow's error, attempts exhausted, retries exhausted), so no version is left ``processing``.
    """
    condition = _held(job_id, token) if token else and_(Job.id == job_id, Job.status != JobStatus.SUCCEEDED)
    values = {
        "status": JobStatus.FAILED,
        "error_code": error_code,
        "error_zh": error_zh,
        "error_detail": error_detail[:4000],
        "finished_at": now,
        "claim_token": None,
    }
    if session.execute(update(Job).where(condition).values(**values)).rowcount != 1:
        return False
    ingested = select(Job.version_id).where(Job.id == job_id, Job.kind == JobKind.INGEST).scalar_subquery()
    session.execute(
        update(DocumentVersion)
        .where(DocumentVersion.id == ingested, DocumentVersion.status != VersionStatus.READY)
        .values(status=VersionStatus.FAILED, error_zh=error_zh)
        .execution_options(synchronize_session="fetch")
    )
    return True


def release_job(session: Session, *, job_id: int, token: str, now: dt.datetime) -> bool:
    """Put the job back in the queue after a transient error (a retry message follows)."""
    values = {"status": JobStatus.QUEUED, "claim_token": None, "enqueued_at": now}
    return session.execute(update(Job).where(_held(job_id, token)).values(**values)).rowcount == 1


def requeue_stale_jobs(session: Session, *, stale_before: dt.datetime, expired_before: dt.datetime) -> list[Job]:
    """Re-queue jobs whose worker died or whose message is gone, and return them for publishing.

    Stale: running with a heartbeat older than ``stale_before``; queued but never published and older
    than ``stale_before``; or queued with a message published before ``expired_before`` (discarded as
    expired). Each job is taken with a conditional update, so of several sweepers usually only one
    re-queues it; it is left unpublished (``enqueued_at`` NULL) until :func:`mark_enqueued`.
    """
    lost = or_(
        and_(Job.status == JobStatus.RUNNING, or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale_before)),
        and_(Job.status == JobStatus.QUEUED, Job.enqueued_at.is_(None), Job.created_at < stale_before),
        and_(Job.status == JobStatus.QUEUED, Job.enqueued_at < expired_before),
    )
    requeued = []
    for job_id in session.scalars(select(Job.id).where(lost).order_by(Job.id)).all():
        values = {"status": JobStatus.QUEUED, "claim_token": None, "enqueued_at": None}
        if session.execute(update(Job).where(Job.id == job_id, lost).values(**values)).rowcount == 1:
            requeued.append(get_job(session, job_id=job_id))
    return requeued


def create_review_job(
    session: Session, *, version_id: int, rubric_id: str, drafter: str | None, created_by: int | None
) -> Job:
    """Add a queued review job of a version against a rubric, with the drafter to use (None: the default)."""
    job = create_job(session, kind=JobKind.REVIEW, version_id=version_id, rubric_id=rubric_id, created_by=created_by)
    job.drafter = drafter
    session.flush()
    return job
