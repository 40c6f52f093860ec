"""Sign-in tokens (sessions and API tokens) and failed logins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from backend.db.models import ID_LENGTH, AuthToken, LoginFailure, TokenKind, User


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


def find_live_token(session: Session, *, token_sha256: str, now: dt.datetime) -> AuthToken | None:
    """The unrevoked, unexpired token with this hash whose user is active, with the user loaded."""
    query = (
        select(AuthToken)
        .join(User, User.id == AuthToken.user_id)
        .options(joinedload(AuthToken.user))
        .where(
            AuthToken.token_sha256 == token_sha256,
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > now,
            User.is_active.is_(True),
        )
    )
    return session.scalars(query).one_or_none()


def revoke_token(session: Session, *, token_sha256: str, now: dt.datetime) -> None:
    """Revoke a token (logout); revoking twice is harmless."""
    session.execute(
        update(AuthToken)
        .where(AuthToken.token_sha256 == token_sha256, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def count_login_failures(session: Session, *, username: str, client: str, since: dt.datetime) -> int:
    """Failed logins for (username, client) at or after ``since``."""
    query = select(func.count()).where(
        LoginFailure.username == username[:ID_LENGTH],
        LoginFailure.client == client[:ID_LENGTH],
        LoginFailure.at >= since,
    )
    return session.scalar(query) or 0


def add_login_failure(session: Session, *, username: str, client: str, at: dt.datetime) -> None:
    """Record a failed login."""
    session.add(LoginFailure(username=username[:ID_LENGTH], client=client[:ID_LENGTH], at=at))
    session.flush()


def clear_login_failures(session: Session, *, username: str, client: str, before: dt.datetime) -> None:
    """Forget the failures of (username, client) after a successful login, and everyone's older than ``before``."""
    session.execute(
        delete(LoginFailure).where(
            (LoginFailure.at < before)
            | ((LoginFailure.username == username[:ID_LENGTH]) & (LoginFailure.client == client[:ID_LENGTH]))
        )
    )
