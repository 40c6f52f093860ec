"""Login: credentials, rehash on login, and throttling per (username, client address) with growing delays."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from backend.auth import login as login_module
from backend.auth.login import check_credentials, login_delay_s
from backend.auth.passwords import hash_password
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import LoginThrottle
from backend.db.queries import users
from backend.db.session import session_scope
from backend.errors import AppError, ErrorCode
from tests.backend.service_fixtures import BACKENDS, Tenant

PASSWORD = "correct horse"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Throttling locks rows with dialect-specific SQL: run it on SQLite and PostgreSQL."""
    return request.param


@pytest.fixture
def a() -> str:
    """A client address of this test only (the PostgreSQL database is shared by the session's tests)."""
    return f"fd00:a::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


@pytest.fixture
def b() -> str:
    """Another client address of this test only."""
    return f"fd00:b::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


@pytest.fixture
def user(db: Session, tenant: Tenant) -> Tenant:
    users.set_password_hash(db, user_id=tenant.user.id, password_hash=hash_password(PASSWORD))
    db.commit()
    return tenant


def _login(
    db: Session, settings: Settings, username: str, password: str, *, client: str, at: dt.datetime
) -> AppError | int:
    """The user id, or the error; committed or rolled back as the API's unit of work does."""
    try:
        user_id = check_credentials(db, settings, username=username, password=password, client=client, now=at).id
    except AppError as exc:
        db.rollback()
        return exc
    db.commit()
    return user_id


def _code(result: AppError | int) -> ErrorCode | None:
    return result.code if isinstance(result, AppError) else None


def _wait(result: AppError | int) -> int | None:
    assert isinstance(result, AppError) and result.code is ErrorCode.RATE_LIMITED, result
    assert result.message_zh == f"登录失败次数过多，请 {result.retry_after_s} 秒后再试。"
    return result.retry_after_s


def _fail_freely(db: Session, settings: Settings, tenant: Tenant, client: str, at: dt.datetime) -> None:
    """Spend the pair's free failures; the next attempt must wait."""
    for _ in range(settings.login_free_failures):
        assert _code(_login(db, settings, tenant.user.username, "wrong", client=client, at=at)) is (
            ErrorCode.UNAUTHENTICATED
        )


def test_right_password_returns_the_user(db: Session, settings: Settings, user: Tenant, a: str) -> None:
    assert _login(db, settings, user.user.username, PASSWORD, client=a, at=utcnow()) == user.user.id


def test_unknown_user_and_wrong_password_fail_alike(db: Session, settings: Settings, user: Tenant, a: str) -> None:
    wrong = _login(db, settings, user.user.username, "wrong", client=a, at=utcnow())
    unknown = _login(db, settings, "nobody", "x", client=a, at=utcnow())
    assert isinstance(wrong, AppError) and isinstance(unknown, AppError)
    assert wrong.code is unknown.code is ErrorCode.UNAUTHENTICATED
    assert wrong.message_zh == unknown.message_zh == "用户名或密码错误。"


def test_delay_doubles_after_the_free_failures_up_to_the_cap() -> None:
    settings = Settings(login_free_failures=3, login_delay_s=1, login_max_delay_s=900)
    delays = [login_delay_s(settings, n) for n in range(1, 16)]
    assert delays == [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert login_delay_s(settings, 10**6) == 900


def test_pair_waits_growing_delays_but_other_addresses_never_wait(
    db: Session, settings: Settings, user: Tenant, a: str, b: str
) -> None:
    name, now = user.user.username, utcnow()
    _fail_freely(db, settings, user, a, now)
    # Even the right password is not checked while the pair waits...
    assert _wait(_login(db, settings, name, PASSWORD, client=a, at=now)) == 1
    # ...but from another address it is: nobody can lock an account out.
    assert _login(db, settings, name, PASSWORD, client=b, at=now) == user.user.id
    waits = []
    for _ in range(4):
        now += dt.timedelta(seconds=waits[-1] if waits else 1)
        assert _code(_login(db, settings, name, "wrong", client=a, at=now)) is ErrorCode.UNAUTHENTICATED
        waits.append(_wait(_login(db, settings, name, PASSWORD, client=a, at=now)))
    assert waits == [2, 4, 8, 16]
    # A refused attempt does not extend the wait; the remaining time shrinks.
    assert _wait(_login(db, settings, name, PASSWORD, client=a, at=now + dt.timedelta(seconds=10))) == 6


def test_after_the_delay_the_right_password_works_and_resets_the_pair(
    db: Session, settings: Settings, user: Tenant, a: str
) -> None:
    name, now = user.user.username, utcnow()
    _fail_freely(db, settings, user, a, now)
    assert _wait(_login(db, settings, name, PASSWORD, client=a, at=now + dt.timedelta(milliseconds=999))) == 1
    now += dt.timedelta(seconds=1)
    assert _login(db, settings, name, PASSWORD, client=a, at=now) == user.user.id
    # Reset: the free failures are available again.
    _fail_freely(db, settings, user, a, now)
    assert _wait(_login(db, settings, name, PASSWORD, client=a, at=now)) == 1


def test_failures_are_forgotten_after_a_quiet_period(db: Session, settings: Settings, user: Tenant, a: str) -> None:
    name, now = user.user.username, utcnow()
    for _ in range(settings.login_free_failures - 1):
        assert _code(_login(db, settings, name, "wrong", client=a, at=now)) is ErrorCode.UNAUTHENTICATED
    later = now + dt.timedelta(seconds=settings.login_forget_after_s + 1)
    assert _code(_login(db, settings, name, "wrong", client=a, at=later)) is ErrorCode.UNAUTHENTICATED
    assert _login(db, settings, name, PASSWORD, client=a, at=later) == user.user.id  # one failure since: no wait


def test_unknown_usernames_are_throttled_like_real_ones(db: Session, settings: Settings, a: str) -> None:
    now = utcnow()
    for _ in range(settings.login_free_failures):
        assert _code(_login(db, settings, "nobody", "x", client=a, at=now)) is ErrorCode.UNAUTHENTICATED
    assert _code(_login(db, settings, "nobody", "x", client=a, at=now)) is ErrorCode.RATE_LIMITED


def test_an_address_failing_on_many_accounts_waits_for_the_window(
    db: Session, settings: Settings, user: Tenant, a: str, b: str
) -> None:
    settings = settings.model_copy(update={"login_client_max_accounts": 3, "login_client_window_s": 600})
    start = utcnow()
    for n in range(3):
        at = start + dt.timedelta(seconds=60 * n)
        assert _code(_login(db, settings, f"sprayed-{n}", "Winter2026!", client=a, at=at)) is ErrorCode.UNAUTHENTICATED
    now = start + dt.timedelta(seconds=150)
    refused = _login(db, settings, user.user.username, PASSWORD, client=a, at=now)
    assert isinstance(refused, AppError) and refused.code is ErrorCode.RATE_LIMITED
    # The oldest failure leaves the window 600 s after it happened.
    assert refused.retry_after_s == 450
    assert refused.message_zh == "该网络地址登录失败的账号过多，请 450 秒后再试。"
    assert _login(db, settings, user.user.username, PASSWORD, client=b, at=now) == user.user.id
    assert (
        _login(db, settings, user.user.username, PASSWORD, client=a, at=now + dt.timedelta(seconds=450)) == user.user.id
    )


def test_attempt_is_counted_before_the_password_is_checked(
    db: Session, settings: Settings, user: Tenant, a: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other API processes see the attempt while the slow hash check runs (so parallel requests queue)."""
    seen: list[int] = []
    verify = login_module.verify_password

    def observing_verify(password_hash: str | None, password: str) -> bool:
        with session_scope(settings) as other:
            row = other.query(LoginThrottle).filter_by(username=user.user.username, client=a).one()
            seen.append(row.failures)
        return verify(password_hash, password)

    monkeypatch.setattr(login_module, "verify_password", observing_verify)
    now = utcnow()
    _login(db, settings, user.user.username, "wrong", client=a, at=now)
    _login(db, settings, user.user.username, PASSWORD, client=a, at=now)
    assert seen == [1, 2]
    with session_scope(settings) as other:
        assert other.query(LoginThrottle).filter_by(username=user.user.username).count() == 0  # success resets


def test_parallel_attempts_of_one_pair_are_checked_one_at_a_time(
    db: Session, settings: Settings, user: Tenant, a: str
) -> None:
    """One free failure left: of eight simultaneous wrong attempts only one is checked, the others must wait."""
    settings = settings.model_copy(update={"login_free_failures": 2})
    name, now = user.user.username, utcnow()  # read here: the threads must not load through the test's session
    # The pair's row exists already, so the attempts queue on its lock rather than on its creation.
    assert _code(_login(db, settings, name, "wrong", client=a, at=now)) is ErrorCode.UNAUTHENTICATED

    def attempt(_: int) -> ErrorCode | None:
        with session_scope(settings) as session:
            return _code(_login(session, settings, name, "wrong", client=a, at=now))

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(8)))
    assert codes.count(ErrorCode.UNAUTHENTICATED) == 1
    assert codes.count(ErrorCode.RATE_LIMITED) == 7


def test_weak_hash_is_upgraded_on_login(db: Session, settings: Settings, tenant: Tenant, a: str) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    users.set_password_hash(db, user_id=tenant.user.id, password_hash=weak)
    db.commit()
    assert _login(db, settings, tenant.user.username, PASSWORD, client=a, at=utcnow()) == tenant.user.id
    upgraded = users.get_user(db, user_id=tenant.user.id).password_hash
    assert upgraded != weak and upgraded.startswith("$argon2id$")
