"""Web fixtures: the whole site (API + pages) on the API tests' world, and browser-like clients per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.db.models import JobKind
from backend.web.app import create_app
from tests.backend.api.conftest import PASSWORD, World, published, world  # noqa: F401
from tests.backend.service_fixtures import *  # noqa: F403


@pytest.fixture
def backend() -> str:
    """Page tests run on SQLite only (the queries are covered on PostgreSQL by the db tests)."""
    return "sqlite"


@pytest.fixture
def site(settings: Settings, published: list[tuple[int, JobKind]]) -> FastAPI:  # noqa: F811
    """The served application: API and web pages."""
    return create_app(settings)


@pytest.fixture
def anonymous(site: FastAPI) -> Iterator[TestClient]:
    """A browser without a session."""
    with TestClient(site, follow_redirects=False) as c:
        yield c


@pytest.fixture
def browser_as(site: FastAPI, world: World) -> Iterator[Callable[[str], TestClient]]:  # noqa: F811
    """A signed-in browser (session cookie through the login form) for a role of the world."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(site, follow_redirects=False)
        clients.append(client)
        response = client.post("/login", data={"username": world.usernames[role], "password": PASSWORD})
        assert response.status_code == 303, response.text
        return client

    yield make
    for c in clients:
        c.close()


def csrf(client: TestClient) -> dict[str, str]:
    """The header a page's script sends on writes."""
    return {"X-CSRF-Token": client.cookies.get("ciqa_csrf") or ""}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """`ciqa serve` with its worker, on a fresh database (one per test module: starting it takes seconds)."""
    from tests.backend.web.live import live_service

    with live_service(tmp_path_factory.mktemp("live")) as service:
        yield service


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright (no browser download)."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    if shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        yield browser
        browser.close()
