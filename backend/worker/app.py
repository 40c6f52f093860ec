"""The worker process: a Celery worker on the jobs app, with a job sweeper in every pool process."""

from __future__ import annotations

import threading
import time

from celery.signals import worker_process_init

from backend.config import Settings
from backend.jobs.broker import create_app
from backend.jobs.sweeper import purge_delivered_messages, sweep_stale_jobs


def start_job_sweeper(**_: object) -> None:
    """Sweep stale jobs and delivered broker messages periodically from a daemon thread of this pool process.

    Started in each forked pool process, never in the parent: a thread in the parent could be copied
    into a newly forked child while holding a lock, and the child would hang. Several sweepers are
    harmless (each job is re-queued by a conditional update).
    """
    settings = Settings()

    def loop() -> None:
        while True:
            sweep_stale_jobs(settings)
            purge_delivered_messages(settings)
            time.sleep(settings.job_sweep_interval_s)

    threading.Thread(target=loop, name="ciqa-job-sweeper", daemon=True).start()


def run_worker(settings: Settings, *, concurrency: int | None = None, loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process (prefork: pdfplumber is not thread-safe) until stopped."""
    app = create_app(settings)
    worker_process_init.connect(start_job_sweeper, weak=False, dispatch_uid="ciqa-job-sweeper")
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
