"""Login: credentials, rehash on login, and the sliding-window rate limit per (username, client)."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from backend.auth.login import check_credentials
from backend.auth.passwords import hash_password
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.queries import users
from backend.errors import AppError, ErrorCode
from tests.backend.service_fixtures import Tenant

PASSWORD = "correct horse"


@pytest.fixture
def user(db: Session, tenant: Tenant) -> Tenant:
    users.set_password_hash(db, user_id=tenant.user.id, password_hash=hash_password(PASSWORD))
    db.commit()
    return tenant


def _login(db: Session, settings: Settings, tenant: Tenant, password: str, *, client: str = "10.0.0.1", at=None):
    return check_credentials(
        db, settings, username=tenant.user.username, password=password, client=client, now=at or utcnow()
    )


def _code(call) -> ErrorCode:
    with pytest.raises(AppError) as err:
        call()
    return err.value.code


def test_right_password_returns_the_user(db: Session, settings: Settings, user: Tenant) -> None:
    assert _login(db, settings, user, PASSWORD).id == user.user.id


def test_unknown_user_and_wrong_password_fail_alike(db: Session, settings: Settings, user: Tenant) -> None:
    assert _code(lambda: _login(db, settings, user, "wrong")) is ErrorCode.UNAUTHENTICATED
    with pytest.raises(AppError) as err:
        check_credentials(db, settings, username="nobody", password="x", client="10.0.0.1", now=utcnow())
    assert err.value.message_zh == "用户名或密码错误。"


def test_locked_after_max_failures_even_with_the_right_password(db: Session, settings: Settings, user: Tenant) -> None:
    for _ in range(settings.login_max_failures):
        assert _code(lambda: _login(db, settings, user, "wrong")) is ErrorCode.UNAUTHENTICATED
    with pytest.raises(AppError) as err:
        _login(db, settings, user, PASSWORD)
    assert err.value.code is ErrorCode.RATE_LIMITED
    assert "登录失败次数过多" in err.value.message_zh
    # Another client address is not locked out by this one's failures.
    assert _login(db, settings, user, PASSWORD, client="10.0.0.2").id == user.user.id


def test_window_slides_and_success_clears(db: Session, settings: Settings, user: Tenant) -> None:
    start = utcnow()
    for _ in range(settings.login_max_failures):
        _code(lambda: _login(db, settings, user, "wrong", at=start))
    later = start + dt.timedelta(seconds=settings.login_window_s + 1)
    assert _login(db, settings, user, PASSWORD, at=later).id == user.user.id
    for _ in range(settings.login_max_failures - 1):
        _code(lambda: _login(db, settings, user, "wrong", at=later))
    assert _login(db, settings, user, PASSWORD, at=later).id == user.user.id


def test_weak_hash_is_upgraded_on_login(db: Session, settings: Settings, tenant: Tenant) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    users.set_password_hash(db, user_id=tenant.user.id, password_hash=weak)
    user = _login(db, settings, tenant, PASSWORD)
    assert user.password_hash != weak and user.password_hash.startswith("$argon2id$")
