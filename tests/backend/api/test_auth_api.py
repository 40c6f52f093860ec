"""Sign-in over HTTP: cookie flags, CSRF on cookie writes, bearer tokens, logout, login throttling."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.api.routers.auth import get_now
from backend.config import Settings
from backend.db.base import utcnow
from tests.backend.api.conftest import PASSWORD, World


def _login(client: TestClient, world: World, password: str = PASSWORD):
    return client.post("/api/auth/login", json={"username": world.usernames["university"], "password": password})


def _set_cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h.lower() for h in response.headers.get_list("set-cookie")}


def test_login_sets_httponly_samesite_session_and_readable_csrf_cookie(client: TestClient, world: World) -> None:
    response = _login(client, world)
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["role"] == "university" and "password_hash" not in body["user"]
    cookies = _set_cookie_headers(response)
    assert "httponly" in cookies["ciqa_session"] and "samesite=lax" in cookies["ciqa_session"]
    assert "path=/" in cookies["ciqa_session"] and "secure" not in cookies["ciqa_session"]
    assert "httponly" not in cookies["ciqa_csrf"]
    assert client.cookies["ciqa_csrf"] == body["csrf_token"]
    assert client.get("/api/me").json()["username"] == world.usernames["university"]


def test_secure_cookies_when_configured(settings: Settings, world: World, published) -> None:
    app = create_app(settings.model_copy(update={"cookie_secure": True}))
    with TestClient(app, base_url="https://testserver") as client:
        cookies = _set_cookie_headers(_login(client, world))
    assert "; secure" in cookies["ciqa_session"] and "; secure" in cookies["ciqa_csrf"]


def test_cookie_write_without_csrf_header_is_refused(client: TestClient, world: World) -> None:
    csrf = _login(client, world).json()["csrf_token"]
    body = {"title": "新报告"}
    refused = client.post("/api/submissions", json=body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed" and "CSRF" in refused.json()["message"]
    wrong = client.post("/api/submissions", json=body, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    assert client.post("/api/submissions", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_bearer_token_for_scripts_needs_no_csrf(app: FastAPI, client: TestClient, world: World) -> None:
    csrf = _login(client, world).json()["csrf_token"]
    created = client.post("/api/auth/tokens", json={"label": "脚本"}, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    token = created.json()["token"]
    with TestClient(app) as script:
        headers = {"Authorization": f"Bearer {token}"}
        assert script.post("/api/submissions", json={"title": "脚本上传"}, headers=headers).status_code == 201
        assert script.post("/api/auth/logout", headers=headers).status_code == 204
        assert script.get("/api/me", headers=headers).status_code == 401


def test_logout_revokes_the_session(client: TestClient, world: World) -> None:
    csrf = _login(client, world).json()["csrf_token"]
    stolen = client.cookies["ciqa_session"]
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.set("ciqa_session", stolen)
    assert client.get("/api/me").status_code == 401


def test_wrong_password_is_401_in_chinese(client: TestClient, world: World) -> None:
    response = _login(client, world, "wrong")
    assert response.status_code == 401
    assert response.json()["message"] == "用户名或密码错误。"


class Clock:
    """The API's clock in these tests: a login delay passes without sleeping."""

    def __init__(self) -> None:
        self.now = utcnow()

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    clock = Clock()
    app.dependency_overrides[get_now] = lambda: clock.now
    return clock


def _from(app: FastAPI, address: str) -> TestClient:
    """A client connecting from ``address`` (what the login route sees as request.client.host)."""
    return TestClient(app, client=(address, 50000))


def _waits(response) -> int:
    """The seconds a 429 tells the client to wait, checked to agree between the header and the Chinese message."""
    assert response.status_code == 429, response.text
    body = response.json()
    seconds = int(response.headers["Retry-After"])
    assert body["code"] == "rate_limited"
    assert body["message"] == f"登录失败次数过多，请 {seconds} 秒后再试。"
    return seconds


def test_failures_from_one_address_never_refuse_the_right_password_from_another(
    app: FastAPI, world: World, settings: Settings, clock: Clock
) -> None:
    attacker, owner = _from(app, "203.0.113.7"), _from(app, "198.51.100.20")
    for _ in range(settings.login_free_failures):
        assert _login(attacker, world, "guess").status_code == 401
    assert _waits(_login(attacker, world)) == 1
    signed_in = _login(owner, world)
    assert signed_in.status_code == 200
    assert owner.get("/api/me").json()["username"] == world.usernames["university"]


def test_a_pair_waits_growing_delays_and_a_success_resets_it(
    app: FastAPI, world: World, settings: Settings, clock: Clock
) -> None:
    client = _from(app, "203.0.113.8")
    for _ in range(settings.login_free_failures):
        assert _login(client, world, "wrong").status_code == 401
    assert _waits(_login(client, world)) == 1  # the right password is not even checked yet
    clock.advance(1)
    assert _login(client, world, "wrong").status_code == 401
    assert _waits(_login(client, world, "wrong")) == 2
    clock.advance(2)
    assert _login(client, world, "wrong").status_code == 401
    assert _waits(_login(client, world)) == 4
    clock.advance(4)
    assert _login(client, world).status_code == 200
    # Reset: the free failures are available again, and the right password after them works at once.
    for _ in range(settings.login_free_failures - 1):
        assert _login(client, world, "wrong").status_code == 401
    assert _login(client, world).status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token"])
def test_malformed_authorization_is_401(client: TestClient, world: World, header: str) -> None:
    assert client.get("/api/me", headers={"Authorization": header}).status_code == 401


def test_a_failed_login_never_echoes_the_username(client: TestClient, world: World) -> None:
    response = client.post("/api/auth/login", json={"username": "某某\U000c8720", "password": "wrong-password-1"})
    assert response.status_code == 401 and "某某" not in response.text and "\\U" not in response.text
