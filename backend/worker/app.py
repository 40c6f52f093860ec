"""The Celery app, built from Settings on first use (importing this module starts nothing)."""

from __future__ import annotations

import functools
import threading
import time

from celery import Celery
from celery.signals import worker_process_init

from backend.config import Settings


def start_job_sweeper(**_: object) -> None:
    """Sweep stale jobs periodically from a daemon thread of this pool process.

    Started in each forked pool process, never in the parent: a thread in the parent could be copied
    into a newly forked child while holding a lock, and the child would hang. Several sweepers are
    harmless (each job is re-queued by a conditional update).
    """
    from backend.worker.runner import sweep_stale_jobs

    settings = Settings()

    def loop() -> None:
        while True:
            sweep_stale_jobs(settings)
            time.sleep(settings.job_sweep_interval_s)

    threading.Thread(target=loop, name="ciqa-job-sweeper", daemon=True).start()


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
    worker_process_init.connect(start_job_sweeper, weak=False, dispatch_uid="ciqa-job-sweeper")
    return app


@functools.cache
def get_app(broker_url: str, queue_name: str) -> Celery:
    """The process's app for a broker and queue (for publishing from the API and flows)."""
    return create_app(Settings(broker_url=broker_url, queue_name=queue_name))


def run_worker(settings: Settings, *, concurrency: int | None = None, loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process (prefork: pdfplumber is not thread-safe) until stopped."""
    app = create_app(settings)
    app.worker_main(
        [
            "worker",
            f"--loglevel={loglevel}",
            f"--concurrency={concurrency or settings.worker_concurrency}",
            f"--queues={settings.queue_name}",
            "--pool=prefork",
            # No broadcast traffic: the embedded broker has no fanout, and jobs coordinate in the database.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )
