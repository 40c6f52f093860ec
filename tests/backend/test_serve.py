"""`ciqa serve` as an operator runs it: stopped with SIGTERM (systemd, docker stop, kill), it stops its worker too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
import pytest

from tests.backend.web.live import _free_port

pytestmark = pytest.mark.integration


def _wait(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("api_workers", [1, 2])
def test_sigterm_stops_the_server_and_its_worker(tmp_path: Path, api_workers: int) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CIQA_DATA_DIR": str(tmp_path / "var"),
        "CIQA_DATABASE_URL": "",
        "CIQA_BROKER_URL": "",
        "CIQA_QUEUE_NAME": f"ciqa-serve-{uuid.uuid4().hex[:8]}",
    }
    command = [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--api-workers", str(api_workers)]
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait(lambda: _answers(f"http://127.0.0.1:{port}/login"), 90, "the login page")
        children = psutil.Process(server.pid).children(recursive=True)
        workers = [p for p in children if "worker" in " ".join(p.cmdline())]
        assert workers, [p.cmdline() for p in children]
        _wait(lambda: b" ready." in (tmp_path / "serve.log").read_bytes(), 60, "the worker")
        server.send_signal(signal.SIGTERM)  # to the server only, as `kill PID` does
        server.wait(60)
        _, alive = psutil.wait_procs(children, timeout=40)
        assert alive == [], [p.cmdline() for p in alive]
        assert not _answers(f"http://127.0.0.1:{port}/login")
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
