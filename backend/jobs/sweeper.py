"""The sweeper: re-queues jobs whose attempt died or whose message was lost, and publishes them again; and the
embedded broker's cleanup of delivered messages."""

from __future__ import annotations

import datetime as dt
import logging

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.queries import broker as broker_queries
from backend.db.queries import jobs as job_queries
from backend.db.session import session_scope
from backend.jobs.broker import embedded_broker_session
from backend.jobs.enqueue import publish_and_record

log = logging.getLogger(__name__)


def sweep_stale_jobs(settings: Settings) -> int:
    """Re-queue and re-publish jobs whose attempt died or whose message was lost; returns how many."""
    now = utcnow()
    try:
        with session_scope(settings) as session:
            requeued = job_queries.requeue_stale_jobs(
                session,
                stale_before=now - dt.timedelta(seconds=settings.job_stale_after_s),
                expired_before=now - dt.timedelta(seconds=settings.job_message_expiry_s),
            )
            session.commit()
            for job in requeued:
                log.warning("re-queueing job %s (%s): its worker stopped or its message was lost", job.id, job.kind)
                publish_and_record(session, job=job, settings=settings)
    except Exception:  # a failed sweep must not stop the worker; the next one runs in a moment
        log.warning("job sweep failed", exc_info=True)
        return 0
    return len(requeued)


def purge_delivered_messages(settings: Settings) -> int:
    """Delete the messages the embedded broker has delivered (it would keep them forever); 0 for other brokers."""
    session = embedded_broker_session(settings)
    if session is None:
        return 0
    try:
        with session:
            deleted = broker_queries.delete_delivered_messages(session)
            session.commit()
    except Exception:  # like a failed sweep: the next one runs in a moment
        log.warning("broker cleanup failed", exc_info=True)
        return 0
    return deleted
