"""Sign-in: password login (session cookie), logout, the current user, bearer tokens for scripts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request, Response

from backend.api.cookies import clear_session_cookies, set_session_cookies
from backend.api.deps import CurrentUser, DbSession, SettingsDep
from backend.api.routing import Router
from backend.api.schemas import LoginIn, LoginOut, TokenIn, TokenOut, UserOut
from backend.auth.login import start_session
from backend.auth.tokens import issue_token, revoke
from backend.db.base import utcnow
from backend.db.models import TokenKind
from backend.db.queries import users

router = Router(tags=["auth"])


def get_now() -> dt.datetime:
    """The time of the request (tests override it to step past login delays without sleeping)."""
    return utcnow()


Now = Annotated[dt.datetime, Depends(get_now)]


@router.post("/auth/login")
def login(
    body: LoginIn, request: Request, response: Response, session: DbSession, settings: SettingsDep, now: Now
) -> LoginOut:
    """Sign in: sets the session and CSRF cookies; failures from one address make it wait (429, Retry-After)."""
    # The connection's address; behind a reverse proxy, uvicorn puts the proxy's X-Forwarded-For here
    # when started with --proxy-headers and --forwarded-allow-ips (see backend.auth.login).
    client = request.client.host if request.client else "unknown"
    user, issued = start_session(
        session, settings, username=body.username, password=body.password, client=client, now=now
    )
    set_session_cookies(response, issued, settings)
    return LoginOut(user=UserOut.model_validate(user), csrf_token=issued.csrf_token, expires_at=issued.expires_at)


@router.post("/auth/logout", status_code=204)
def logout(user: CurrentUser, response: Response, session: DbSession) -> None:
    """Sign out: revoke the session or token used for this request and clear the cookies."""
    revoke(session, principal=user, now=utcnow())
    clear_session_cookies(response)


@router.get("/me")
def me(user: CurrentUser, session: DbSession) -> UserOut:
    """The signed-in user."""
    return UserOut.model_validate(users.get_user(session, user_id=user.user_id))


@router.post("/auth/tokens", status_code=201)
def create_token(body: TokenIn, user: CurrentUser, session: DbSession, settings: SettingsDep) -> TokenOut:
    """Create a bearer token for scripts (shown once); send it as ``Authorization: Bearer <token>``."""
    ttl_s = body.ttl_days * 86400 if body.ttl_days else settings.api_token_ttl_s
    issued = issue_token(session, user_id=user.user_id, kind=TokenKind.API, ttl_s=ttl_s, now=utcnow(), label=body.label)
    return TokenOut(token=issued.token, label=body.label, expires_at=issued.expires_at)
