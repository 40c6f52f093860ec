"""The Celery app for publishing and consuming job messages, built from Settings on first use."""

from __future__ import annotations

import functools

from celery import Celery

from backend.config import Settings


def _transport_options(settings: Settings) -> dict[str, object]:
    if settings.broker_url.startswith("sqla+"):
        # Passed to create_engine: the API and the worker poll the same SQLite file.
        return {"connect_args": {"timeout": 30}}
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
