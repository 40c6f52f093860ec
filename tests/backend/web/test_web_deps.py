"""Pages under load: more concurrent page requests than worker threads and pooled connections together never
leave the event loop, threads and connections waiting on each other (a real uvicorn on loopback)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from tests.backend.api.conftest import PASSWORD, World
from tests.backend.api.test_deps import REQUESTS, serve_with_few_threads, small_pool  # noqa: F401


@pytest.fixture
def page_server(site: FastAPI, small_pool: Engine) -> Iterator[str]:  # noqa: F811
    """The site (pages and API) with two worker threads and one pooled connection."""
    with serve_with_few_threads(site) as url:
        yield url


async def _concurrently(base: str, path: str, username: str) -> tuple[list[int], float]:
    """The statuses of the concurrent page reads and how long they took (the sign-in before them not counted:
    checking the password is slow by design)."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        signed_in = await http.post("/login", data={"username": username, "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        started = time.monotonic()
        answers = await asyncio.gather(*(http.get(path) for _ in range(REQUESTS)))
    return [a.status_code for a in answers], time.monotonic() - started


def test_more_page_requests_than_threads_and_connections_all_succeed(page_server: str, world: World) -> None:
    """Signing the user in never waits for a pooled connection on the event loop, so every page is served."""
    statuses, seconds = asyncio.run(
        _concurrently(page_server, f"/submissions/{world.own.submission_id}", world.usernames["university"])
    )
    assert statuses == [200] * REQUESTS
    assert seconds < 3  # no request waited out the pool's checkout timeout
