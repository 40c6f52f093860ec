"""The Celery app for publishing and consuming job messages, built from Settings on first use."""

from __future__ import annotations

import functools
import os

from celery import Celery
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from backend.config import Settings

EMBEDDED_PREFIX = "sqla+"
# Seconds a connection to the embedded broker's SQLite file waits for another writer.
EMBEDDED_BUSY_TIMEOUT_S = 30


def _transport_options(settings: Settings) -> dict[str, object]:
    if settings.broker_url.startswith(EMBEDDED_PREFIX):
        # Passed to create_engine: the API and the worker poll the same SQLite file.
        return {"connect_args": {"timeout": EMBEDDED_BUSY_TIMEOUT_S}}
    # Redis re-delivers an unacknowledged message after this long (the sweeper is usually sooner).
    return {"visibility_timeout": settings.broker_visibility_timeout_s}


def create_app(settings: Settings) -> Celery:
    """A Celery app for the configured broker: late acks, one message prefetched per process."""
    app = Celery("ciqa", broker=settings.broker_url, include=["backend.worker.tasks"], set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=settings.queue_name,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options=_transport_options(settings),
        worker_hijack_root_logger=False,
    )
    return app


@functools.cache
def get_app(broker_url: str, queue_name: str) -> Celery:
    """The process's app for a broker and queue (for publishing from the API and flows)."""
    return create_app(Settings(broker_url=broker_url, queue_name=queue_name))


@functools.cache
def _embedded_engine(url: str, pid: int) -> Engine:
    return create_engine(url, connect_args={"timeout": EMBEDDED_BUSY_TIMEOUT_S})


def embedded_broker_session(settings: Settings) -> Session | None:
    """A session on the embedded broker's database (the ``sqla+`` URL), or None for another broker."""
    if not settings.broker_url.startswith(EMBEDDED_PREFIX):
        return None
    return Session(_embedded_engine(settings.broker_url.removeprefix(EMBEDDED_PREFIX), os.getpid()))
