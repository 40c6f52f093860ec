"""Process entry points of the service: database upgrade, the worker, and `ciqa serve` (API plus a worker)."""

from __future__ import annotations

import importlib.util
import logging
import signal
import subprocess
import sys
from types import FrameType

from backend.config import Settings
from backend.db.session import upgrade
from backend.worker.app import run_worker as run

log = logging.getLogger(__name__)

API_FACTORY = "backend.web.app:served_app"
WORKER_STOP_TIMEOUT_S = 30


def upgrade_database(revision: str = "head") -> None:
    """Migrate the configured database."""
    upgrade(Settings(), revision)


def run_worker(*, concurrency: int | None = None, loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process until it is stopped."""
    logging.basicConfig(level=loglevel)
    run(Settings(), concurrency=concurrency, loglevel=loglevel)


def start_worker_process() -> subprocess.Popen[bytes]:
    """Start `ciqa worker` as a child process with this process's environment (hence the same settings)."""
    return subprocess.Popen([sys.executable, "-m", "backend.cli", "worker"])


def _api_available() -> bool:
    try:
        return importlib.util.find_spec(API_FACTORY.split(":")[0]) is not None
    except ModuleNotFoundError:
        return False


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def serve(*, host: str, port: int, with_worker: bool, api_workers: int | None = None) -> None:
    """Migrate the database, start a worker process, and serve the pages and API until interrupted."""
    import uvicorn

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database()
    # uvicorn shuts down on SIGTERM and then raises the signal again with the handler it found: without this one the
    # process would die there, skipping the cleanup below and leaving the worker running (seen: `kill` of
    # `ciqa serve` orphaned its worker).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    worker = start_worker_process() if with_worker else None
    try:
        if not _api_available():
            print(f"API 尚未提供（缺少 {API_FACTORY}），仅运行后台任务进程。", file=sys.stderr)
            if worker is not None:
                worker.wait()
            return
        uvicorn.run(API_FACTORY, factory=True, host=host, port=port, workers=api_workers or settings.api_workers)
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(WORKER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                worker.kill()
