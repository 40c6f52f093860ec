"""Sign-in and sign-out pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.api.cookies import clear_session_cookies, set_session_cookies
from backend.api.deps import DbSession, SettingsDep
from backend.auth.login import start_session
from backend.auth.tokens import revoke
from backend.db.base import utcnow
from backend.errors import AppError, ErrorCode
from backend.web.deps import WebUser
from backend.web.render import page

router = APIRouter()


def safe_next(next_path: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//") or "\\" in next_path:
        return "/"
    return next_path


def _login_form(
    request: Request,
    *,
    next_path: str,
    username: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        request,
        "login.html",
        None,
        title="登录",
        status_code=status_code,
        next=next_path,
        username=username,
        errors=errors or {},
        notice=request.query_params.get("notice") and "您已退出登录。",
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form."""
    return _login_form(request, next_path=safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials, set the session cookies and go to the page asked for (or the home page)."""
    target = safe_next(next)
    if not username.strip() or not password:
        missing = {"username": "请输入账号。"} if not username.strip() else {"password": "请输入密码。"}
        return _login_form(request, next_path=target, username=username, status_code=422, errors=missing)
    client = request.client.host if request.client else "unknown"
    try:
        _, issued = start_session(
            session, settings, username=username.strip(), password=password, client=client, now=utcnow()
        )
    except AppError as exc:
        if exc.code not in (ErrorCode.UNAUTHENTICATED, ErrorCode.RATE_LIMITED):
            raise
        # The throttle's failure records must be kept even though the sign-in failed.
        session.commit()
        status = 429 if exc.code is ErrorCode.RATE_LIMITED else 401
        return _login_form(
            request, next_path=target, username=username, status_code=status, errors={"password": exc.message_zh}
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookies(response, issued, settings)
    return response


@router.post("/logout")
def logout(user: WebUser, session: DbSession) -> Response:
    """Sign out and return to the login page."""
    revoke(session, principal=user, now=utcnow())
    response = RedirectResponse("/login?notice=logout", status_code=303)
    clear_session_cookies(response)
    return response
