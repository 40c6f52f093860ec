"""Sign-in tokens (sessions and API tokens) and login throttles per (username, client address)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.db.models import ID_LENGTH, AuthToken, LoginThrottle, Role, TokenKind, User


def create_token(
    session: Session,
    *,
    user_id: int,
    kind: TokenKind,
    token_sha256: str,
    expires_at: dt.datetime,
    label: str = "",
) -> AuthToken:
    """Add a token row (the caller keeps the raw token; only its hash is stored)."""
    token = AuthToken(user_id=user_id, kind=kind, token_sha256=token_sha256, expires_at=expires_at, label=label)
    session.add(token)
    session.flush()
    return token


@dataclass(frozen=True)
class LiveToken:
    """A live token's kind and what a request needs of its active user."""

    kind: TokenKind
    user_id: int
    username: str
    display_name: str
    role: Role
    institution_id: int | None


# Built once: the lookup runs on every request, and building it anew (expressions, then their cache key) with the
# user loaded as an object was a quarter of a hot read's CPU (eval/bench_service.py).
_LIVE_TOKEN = (
    select(AuthToken.kind, User.id, User.username, User.display_name, User.role, User.institution_id)
    .join(User, User.id == AuthToken.user_id)
    .where(
        AuthToken.token_sha256 == bindparam("token_sha256"),
        AuthToken.revoked_at.is_(None),
        AuthToken.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)


def find_live_token(session: Session, *, token_sha256: str, now: dt.datetime) -> LiveToken | None:
    """The unrevoked, unexpired token with this hash whose user is active."""
    row = session.execute(_LIVE_TOKEN, {"token_sha256": token_sha256, "now": now}).one_or_none()
    return None if row is None else LiveToken(*row)


def revoke_token(session: Session, *, token_sha256: str, now: dt.datetime) -> None:
    """Revoke a token (logout); revoking twice is harmless."""
    session.execute(
        update(AuthToken)
        .where(AuthToken.token_sha256 == token_sha256, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def lock_login_throttle(session: Session, *, username: str, client: str) -> LoginThrottle:
    """The throttle row of (username, client), created if missing and locked until commit.

    Concurrent attempts of one pair queue here (a row lock on PostgreSQL; SQLite has one writer at a time
    and this insert is the transaction's first write), so each sees the failures the previous one recorded.
    """
    key = {"username": username[:ID_LENGTH], "client": client[:ID_LENGTH]}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(LoginThrottle).values(**key, failures=0).on_conflict_do_nothing())
    query = (
        select(LoginThrottle)
        .filter_by(**key)
        .with_for_update()
        .execution_options(populate_existing=True)  # another process may have changed it since it was loaded
    )
    return session.scalars(query).one()


def record_login_failure(
    session: Session, *, throttle: LoginThrottle, failures: int, at: dt.datetime, blocked_until: dt.datetime | None
) -> None:
    """Set a pair's consecutive failures, the time of the last one and until when the pair must wait."""
    throttle.failures = failures
    throttle.last_failure_at = at
    throttle.blocked_until = blocked_until
    session.flush()


def recent_failure_times(session: Session, *, client: str, since: dt.datetime) -> Sequence[dt.datetime]:
    """The last failure of every account that failed from ``client`` after ``since``, oldest first."""
    query = (
        select(LoginThrottle.last_failure_at)
        .where(
            LoginThrottle.client == client[:ID_LENGTH],
            LoginThrottle.failures > 0,
            LoginThrottle.last_failure_at > since,
        )
        .order_by(LoginThrottle.last_failure_at)
    )
    return session.scalars(query).all()


def clear_login_throttles(session: Session, *, username: str, client: str, before: dt.datetime) -> None:
    """Forget (username, client) after a successful login, and every pair that last failed before ``before``."""
    session.execute(
        delete(LoginThrottle).where(
            (LoginThrottle.last_failure_at < before)
            | ((LoginThrottle.username == username[:ID_LENGTH]) & (LoginThrottle.client == client[:ID_LENGTH]))
        )
    )
