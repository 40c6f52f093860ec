"""Password login, throttled per (username, client address) with growing delays, as OWASP advises.

After ``login_free_failures`` consecutive failures of one pair, the pair must wait ``login_delay_s`` before
its next attempt is even checked, twice as long after every further failure, at most ``login_max_delay_s``;
a success resets the pair. Only that pair waits: the right password from another address is never refused
because of this one's failures, so nobody can lock someone else out. Against password spraying, an address
that failed on ``login_client_max_accounts`` accounts within ``login_client_window_s`` waits until enough of
those failures have left the window. Refusals are ``RATE_LIMITED`` with the seconds to wait.

The state is in the database (``login_throttles``), not in process memory, so every API process sees it.
An attempt is counted as a failure and committed before the (deliberately slow) password check, so parallel
requests of one pair cannot all slip through before the first failure is recorded; a success deletes the row.

The client address is the connection's (``request.client.host``). Behind a reverse proxy that is the proxy's
own address unless uvicorn trusts the proxy's ``X-Forwarded-For``: run uvicorn with ``--proxy-headers
--forwarded-allow-ips=<proxy address>`` (``ciqa serve`` has proxy headers on and trusts 127.0.0.1; set
``FORWARDED_ALLOW_IPS`` for a proxy elsewhere). The service never reads that header itself: any client can
send one.
"""

from __future__ import annotations

import datetime as dt
import logging
import math

from sqlalchemy.orm import Session

from backend.auth.passwords import hash_password, needs_rehash, verify_password
from backend.auth.tokens import IssuedToken, issue_token
from backend.config import Settings
from backend.db.models import TokenKind, User
from backend.db.queries import auth as auth_queries
from backend.db.queries import users as user_queries
from backend.errors import AppError, ErrorCode

log = logging.getLogger(__name__)

# 2**62 seconds is far beyond any configured maximum; the cap keeps the power small.
_MAX_DOUBLINGS = 62


def login_delay_s(settings: Settings, failures: int) -> int:
    """Seconds a pair must wait after its ``failures``-th consecutive failure (0: it may try again at once)."""
    if failures < settings.login_free_failures:
        return 0
    doublings = min(failures - settings.login_free_failures, _MAX_DOUBLINGS)
    return min(settings.login_delay_s * 2**doublings, settings.login_max_delay_s)


def check_credentials(
    session: Session, settings: Settings, *, username: str, password: str, client: str, now: dt.datetime
) -> User:
    """The active user with these credentials; RATE_LIMITED while the pair or the address must wait."""
    _check_address(session, settings, client=client, now=now)
    throttle = auth_queries.lock_login_throttle(session, username=username, client=client)
    if throttle.blocked_until is not None and throttle.blocked_until > now:
        raise _throttled(
            throttle.blocked_until - now,
            "登录失败次数过多",
            f"{throttle.failures} consecutive failed logins from this address",
        )
    forget_before = now - dt.timedelta(seconds=settings.login_forget_after_s)
    stale = throttle.last_failure_at is None or throttle.last_failure_at < forget_before
    failures = (0 if stale else throttle.failures) + 1
    delay = login_delay_s(settings, failures)
    auth_queries.record_login_failure(
        session,
        throttle=throttle,
        failures=failures,
        at=now,
        blocked_until=now + dt.timedelta(seconds=delay) if delay else None,
    )
    session.commit()
    user = user_queries.find_user_by_username(session, username=username)
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.is_active:
        # The response never echoes the username; operators find it in the log.
        log.info("failed login for %s from %s", username, client)
        raise AppError(ErrorCode.UNAUTHENTICATED, "用户名或密码错误。", "failed login")
    if needs_rehash(user.password_hash):
        user_queries.set_password_hash(session, user_id=user.id, password_hash=hash_password(password))
    auth_queries.clear_login_throttles(session, username=username, client=client, before=forget_before)
    return user


def start_session(
    session: Session, settings: Settings, *, username: str, password: str, client: str, now: dt.datetime
) -> tuple[User, IssuedToken]:
    """Check the credentials (throttled) and open a browser session for the user."""
    user = check_credentials(session, settings, username=username, password=password, client=client, now=now)
    issued = issue_token(session, user_id=user.id, kind=TokenKind.SESSION, ttl_s=settings.session_ttl_s, now=now)
    return user, issued


def _check_address(session: Session, settings: Settings, *, client: str, now: dt.datetime) -> None:
    window = dt.timedelta(seconds=settings.login_client_window_s)
    failed = auth_queries.recent_failure_times(session, client=client, since=now - window)
    excess = len(failed) - settings.login_client_max_accounts
    if excess >= 0:
        # Below the cap again once this many of the oldest failures have left the window.
        raise _throttled(
            failed[excess] + window - now,
            "该网络地址登录失败的账号过多",
            f"{len(failed)} accounts failed to log in from {client} within {settings.login_client_window_s} s",
        )


def _throttled(wait: dt.timedelta, reason_zh: str, detail: str) -> AppError:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return AppError(
        ErrorCode.RATE_LIMITED,
        f"{reason_zh}，请 {seconds} 秒后再试。",
        f"{detail}; retry in {seconds} s",
        retry_after_s=seconds,
    )
