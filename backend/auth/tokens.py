"""Server-side sign-in tokens: a random secret goes to the client, only its SHA-256 is stored.

The same table holds browser sessions (cookie ``ciqa_session``) and API tokens for scripts
(``Authorization: Bearer``); revoking a row signs the holder out at once, on every API process.

CSRF uses a double-submit token bound to the session: the ``ciqa_csrf`` cookie (readable by the page's
JavaScript) holds an HMAC of the session secret, and cookie-authenticated writes must echo it in the
``X-CSRF-Token`` header. A cross-site page can make the browser send the cookies but cannot read them,
and cannot forge the value without the HttpOnly session secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.db.models import Role, TokenKind
from backend.db.queries import auth as auth_queries
from backend.errors import AppError, ErrorCode

SESSION_COOKIE = "ciqa_session"
CSRF_COOKIE = "ciqa_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request, and how they proved it."""

    user_id: int
    username: str
    display_name: str
    role: Role
    institution_id: int | None
    via: TokenKind
    token_sha256: str


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: the secret is shown once and never stored."""

    token: str
    csrf_token: str
    expires_at: dt.datetime


def token_sha256(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(session_token: str) -> str:
    """The CSRF token that belongs to a session secret."""
    return hmac.new(session_token.encode(), b"ciqa-csrf", hashlib.sha256).hexdigest()


def issue_token(
    session: Session, *, user_id: int, kind: TokenKind, ttl_s: int, now: dt.datetime, label: str = ""
) -> IssuedToken:
    """Create a session or API token for a user."""
    token = secrets.token_urlsafe(32)
    expires_at = now + dt.timedelta(seconds=ttl_s)
    auth_queries.create_token(
        session, user_id=user_id, kind=kind, token_sha256=token_sha256(token), expires_at=expires_at, label=label
    )
    return IssuedToken(token=token, csrf_token=csrf_token_for(token), expires_at=expires_at)


def revoke(session: Session, *, principal: Principal, now: dt.datetime) -> None:
    """Revoke the token the principal signed in with (sign out)."""
    auth_queries.revoke_token(session, token_sha256=principal.token_sha256, now=now)


def authenticate(
    session: Session,
    *,
    method: str,
    bearer: str | None,
    session_cookie: str | None,
    csrf_cookie: str | None,
    csrf_header: str | None,
    now: dt.datetime,
) -> Principal:
    """The principal of a request, from a bearer token or else the session cookie (with CSRF on writes)."""
    kind, token = (TokenKind.API, bearer) if bearer else (TokenKind.SESSION, session_cookie)
    digest = token_sha256(token) if token else None
    row = auth_queries.find_live_token(session, token_sha256=digest, now=now) if digest else None
    if token is None or digest is None or row is None or row.kind is not kind:
        raise AppError(ErrorCode.UNAUTHENTICATED, "请先登录。", "no valid session or bearer token")
    if kind is TokenKind.SESSION and method.upper() not in SAFE_METHODS:
        _check_csrf(token, csrf_cookie, csrf_header)
    return Principal(
        user_id=row.user_id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        institution_id=row.institution_id,
        via=kind,
        token_sha256=digest,
    )


def _check_csrf(session_token: str, csrf_cookie: str | None, csrf_header: str | None) -> None:
    expected = csrf_token_for(session_token)
    if not (
        csrf_cookie
        and csrf_header
        and hmac.compare_digest(csrf_cookie, csrf_header)
        and hmac.compare_digest(csrf_header, expected)
    ):
        raise AppError(
            ErrorCode.CSRF_FAILED,
            "请求缺少有效的安全校验（CSRF）令牌，请刷新页面后重试。",
            f"cookie-authenticated write without a matching {CSRF_HEADER} header",
        )
