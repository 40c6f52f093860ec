"""Web request dependencies: the signed-in user from the session cookie (else the login page), and templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from backend.api.deps import DbSession
from backend.auth import access
from backend.auth.tokens import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, Principal, authenticate
from backend.db.base import utcnow
from backend.db.models import Role
from backend.errors import AppError, ErrorCode
from backend.web import format

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
format.register(TEMPLATES.env)
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """The request has no live session: the browser goes to the login page and comes back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_url(next_path: str) -> str:
    """The login page, returning to ``next_path`` afterwards."""
    return "/login" if next_path in ("", "/") else f"/login?next={quote(next_path, safe='/')}"


async def sent_csrf(request: Request) -> str | None:
    """The CSRF token a write sent: the X-CSRF-Token header (scripts) or the form field (plain forms)."""
    csrf = request.headers.get(CSRF_HEADER)
    if csrf is None and request.method not in ("GET", "HEAD") and "form" in request.headers.get("content-type", ""):
        csrf = (await request.form()).get(CSRF_FIELD)
    return csrf if isinstance(csrf, str) else None


# Sync, so it runs on a worker thread: a pooled-connection checkout on the event loop blocks the loop, and with the
# pool exhausted the requests holding the connections cannot finish (their session closes need the loop) — every
# page then waits out the pool timeout (tests/backend/web/test_web_deps.py).
def web_user(request: Request, session: DbSession, csrf: Annotated[str | None, Depends(sent_csrf)]) -> Principal:
    """The signed-in user; writes need the CSRF token in the X-CSRF-Token header or a form field."""
    try:
        principal = authenticate(
            session,
            method=request.method,
            bearer=None,
            session_cookie=request.cookies.get(SESSION_COOKIE),
            csrf_cookie=request.cookies.get(CSRF_COOKIE),
            csrf_header=csrf,
            now=utcnow(),
        )
    except AppError as exc:
        if exc.code is ErrorCode.UNAUTHENTICATED:
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else "")) from exc
        raise
    session.commit()
    return principal


WebUser = Annotated[Principal, Depends(web_user)]


def page_role(*roles: Role):
    """A dependency returning the signed-in user if their role is one of ``roles``, else FORBIDDEN."""

    async def guard(principal: WebUser) -> Principal:
        access.require_role(principal, roles)
        return principal

    return guard


WebReader = Annotated[Principal, Depends(page_role(*access.READERS))]
WebUniversity = Annotated[Principal, Depends(page_role(Role.UNIVERSITY))]
WebExpert = Annotated[Principal, Depends(page_role(Role.EXPERT))]
WebSecretariat = Annotated[Principal, Depends(page_role(Role.SECRETARIAT))]
WebOverseer = Annotated[Principal, Depends(page_role(Role.EXPERT, Role.SECRETARIAT))]
# Institutions and expert accounts: the secretariat runs campaigns with them, the administrator manages accounts.
WebStaff = Annotated[Principal, Depends(page_role(Role.SECRETARIAT, Role.ADMIN))]


async def posted_form(request: Request) -> FormData:
    """The posted form, read before a sync view runs (so the view's database work stays off the event loop)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]
