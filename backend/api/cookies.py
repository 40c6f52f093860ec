"""The browser session's cookies: the HttpOnly session secret and the CSRF token the page echoes."""

from __future__ import annotations

from fastapi import Response

from backend.auth.tokens import CSRF_COOKIE, SESSION_COOKIE, IssuedToken
from backend.config import Settings


def set_session_cookies(response: Response, issued: IssuedToken, settings: Settings) -> None:
    """Set both cookies of a new session."""
    common = {"max_age": settings.session_ttl_s, "secure": settings.cookie_secure, "samesite": "lax", "path": "/"}
    response.set_cookie(SESSION_COOKIE, issued.token, httponly=True, **common)
    # Readable by the page's JavaScript, which echoes it in X-CSRF-Token.
    response.set_cookie(CSRF_COOKIE, issued.csrf_token, httponly=False, **common)


def clear_session_cookies(response: Response) -> None:
    """Remove both cookies (sign-out)."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
