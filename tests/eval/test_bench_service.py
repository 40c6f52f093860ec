"""The service benchmark's measurement helpers: statistics, throughput, the bounded read-load loop against an
in-process uvicorn, and stopping child process groups. No timing is asserted."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Response
from fastapi.responses import StreamingResponse

from eval.bench_service import Processes, free_port, latency_stats, read_load, reports_per_minute

TOKEN = "Bearer test-token"
ETAG = '"review-7-0"'


def test_latency_stats_percentiles_and_rate() -> None:
    stats = latency_stats([0.004, 0.001, 0.003, 0.002, 0.005], wall_s=0.25, errors=1)
    assert (stats.requests, stats.errors) == (5, 1)
    assert (stats.p50_ms, stats.max_ms, stats.requests_per_s) == (3.0, 5.0, 20.0)
    assert stats.p95_ms == pytest.approx(4.8)
    empty = latency_stats([], wall_s=0.0)
    assert empty.requests == 0 and math.isnan(empty.p95_ms) and math.isnan(empty.requests_per_s)


def test_reports_per_minute() -> None:
    assert reports_per_minute(20, 600.0) == 2.0
    assert reports_per_minute(3, 30.0) == 6.0
    assert math.isnan(reports_per_minute(5, 0.0))


@pytest.fixture
def review_server() -> Iterator[tuple[str, list[int]]]:
    """A uvicorn server in this process answering GET /api/reviews/{id} for one bearer token."""
    app = FastAPI()
    served: list[int] = []

    @app.get("/api/reviews/{review_id}", response_model=None)
    def review(
        review_id: int, authorization: str = Header(""), if_none_match: str = Header("")
    ) -> dict[str, object] | Response:
        if authorization != TOKEN:
            raise HTTPException(401)
        served.append(review_id)
        if if_none_match == ETAG:
            return Response(status_code=304)
        return {"id": review_id, "assessments": [{"level": "B"}] * 20}

    @app.get("/api/streamed", response_model=None)
    def streamed(close: bool = False) -> StreamingResponse:
        served.append(0)
        parts = (b'{"part": %d}' % i for i in range(50))
        return StreamingResponse(parts, headers={"Connection": "close"} if close else None)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}", served
    finally:
        server.should_exit = True
        thread.join(10)


def test_read_load_sends_exactly_the_requested_reads(review_server: tuple[str, list[int]]) -> None:
    base, served = review_server
    stats = read_load(f"{base}/api/reviews/7", {"Authorization": TOKEN}, clients=5, requests=100)
    assert (stats.requests, stats.errors) == (100, 0)
    assert served == [7] * 100
    assert 0 < stats.p50_ms <= stats.p95_ms <= stats.max_ms and stats.requests_per_s > 0


def test_a_revalidating_read_load_expects_304(review_server: tuple[str, list[int]]) -> None:
    base, served = review_server
    url, headers = f"{base}/api/reviews/7", {"Authorization": TOKEN, "If-None-Match": ETAG}
    assert read_load(url, headers, clients=3, requests=12, expect=304).errors == 0
    assert read_load(url, headers, clients=3, requests=12).errors == 12
    assert served == [7] * 24


@pytest.mark.parametrize("close", [False, True])
def test_read_load_reads_chunked_answers_and_reconnects_after_a_close(
    review_server: tuple[str, list[int]], close: bool
) -> None:
    """The lean client reads a chunked body to its end (else the next answer would be misread) and opens a new
    connection when the server closes one."""
    base, served = review_server
    stats = read_load(f"{base}/api/streamed?close={str(close).lower()}", {}, clients=3, requests=30)
    assert (stats.requests, stats.errors) == (30, 0)
    assert served == [0] * 30


def test_read_load_counts_refused_requests_as_errors(review_server: tuple[str, list[int]]) -> None:
    base, served = review_server
    stats = read_load(f"{base}/api/reviews/7", {"Authorization": "Bearer wrong"}, clients=3, requests=10)
    assert (stats.requests, stats.errors) == (10, 10)
    assert served == []


def test_stopping_processes_ends_the_whole_group(tmp_path: Path) -> None:
    group = Processes(tmp_path)
    log = group.start("sleeper", ["sh", "-c", "sleep 60 & echo $!; wait"], {"PATH": "/usr/bin:/bin"})
    deadline = time.monotonic() + 10
    while not log.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(log.read_text().split()[0])
    group.stop()
    # SIGKILL is delivered asynchronously: wait (bounded) until the grandchild is gone or a zombie.
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
