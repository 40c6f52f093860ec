"""Request dependencies under load: more concurrent requests than worker threads and pooled connections
together never leave threads and connections waiting on each other (a real uvicorn on loopback)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.to_thread
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, event
from starlette.types import Receive, Scope, Send

from backend.config import Settings
from backend.db import session as db_session
from tests.backend.api.conftest import World, bearer

THREADS, CONNECTIONS, REQUESTS = 2, 1, 12


@pytest.fixture
def small_pool(settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The app's engine with one pooled connection and a short checkout timeout (the world's session keeps its own)."""
    engine = create_engine(settings.database_url, pool_size=CONNECTIONS, max_overflow=0, pool_timeout=3)
    event.listen(engine, "connect", db_session._sqlite_pragmas)
    monkeypatch.setattr(db_session, "get_engine", lambda s: engine)
    yield engine
    engine.dispose()


@pytest.fixture
def server(app: FastAPI, small_pool: Engine) -> Iterator[str]:
    """The app under uvicorn in this process with two worker threads."""
    with serve_with_few_threads(app) as url:
        yield url


@contextmanager
def serve_with_few_threads(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` under uvicorn in this process with ``THREADS`` worker threads; yields its base URL."""

    async def few_threads(scope: Scope, receive: Receive, send: Send) -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        await app(scope, receive, send)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(few_threads, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(10)


async def _concurrently(url: str, headers: dict[str, str]) -> list[int]:
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        answers = await asyncio.gather(*(http.get(url) for _ in range(REQUESTS)))
    return [a.status_code for a in answers]


# The hottest reads sign in and read on one worker thread (read_in_one_hop); the others go through the dependencies.
READS = {
    "review overview (one hop)": "/api/reviews/{own.review_id}",
    "evidence (one hop)": "/api/assessments/{own.assessment_id}",
    "review list (dependencies)": "/api/versions/{own.version_id}/reviews",
}


@pytest.mark.parametrize("path", READS.values(), ids=READS.keys())
def test_more_requests_than_threads_and_connections_all_succeed(
    server: str, world: World, small_pool: Engine, path: str
) -> None:
    """Each request holds its connection only while it runs on a thread, so every request finishes."""
    url = server + path.format(own=world.own)
    started = time.monotonic()
    statuses = asyncio.run(_concurrently(url, bearer(world, "university")))
    assert statuses == [200] * REQUESTS
    assert time.monotonic() - started < 3  # no request waited out the pool's checkout timeout
    assert small_pool.pool.checkedout() == 0  # every request gave its connection back
