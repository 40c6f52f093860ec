"""Publish task messages for committed jobs, with an expiry; a failed publish is left to the sweeper."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import Job, JobKind
from backend.db.queries import jobs as job_queries
from backend.jobs.broker import get_app

log = logging.getLogger(__name__)

TASK_NAMES = {
    JobKind.INGEST: "ciqa.ingest",
    JobKind.REVIEW: "ciqa.review",
    JobKind.REVIEW_CAMPAIGN: "ciqa.review_campaign",
    JobKind.DRAFT_REPORT: "ciqa.draft_report",
}


def publish(job_id: int, kind: JobKind, settings: Settings) -> None:
    """Send the task message of a job (no database access)."""
    get_app(settings.broker_url, settings.queue_name).send_task(
        TASK_NAMES[kind], args=[job_id], queue=settings.queue_name, expires=settings.job_message_expiry_s
    )


def commit_and_enqueue(session: Session, *, jobs: Sequence[Job], settings: Settings) -> None:
    """Commit the session, then publish the jobs' messages and record when they were published.

    Publishing only after the commit means a worker never receives a job it cannot read yet.
    """
    session.commit()
    for job in jobs:
        publish_and_record(session, job=job, settings=settings)


def publish_and_record(session: Session, *, job: Job, settings: Settings) -> bool:
    """Publish a committed job's message and record when; False (job left unpublished) if the broker failed."""
    try:
        publish(job.id, job.kind, settings)
    except Exception:  # any broker failure: the job stays unpublished and the sweeper publishes it later
        log.warning("could not publish job %s; the sweeper will re-enqueue it", job.id, exc_info=True)
        return False
    job_queries.mark_enqueued(session, job_id=job.id, now=utcnow())
    session.commit()
    return True
