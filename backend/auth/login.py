"""Password login with a sliding-window rate limit per (username, client address).

The failures are rows in the database, not process memory: deployment runs several API processes
(and machines) behind one address, and each must see the others' failures. The window slides: a
login is refused while ``login_max_failures`` failures of the same pair lie within the last
``login_window_s`` seconds; a success clears the pair. Refused attempts are not counted, so a locked
pair unlocks on its own once its oldest failures leave the window.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from backend.auth.passwords import hash_password, needs_rehash, verify_password
from backend.auth.tokens import IssuedToken, issue_token
from backend.config import Settings
from backend.db.models import TokenKind, User
from backend.db.queries import auth as auth_queries
from backend.db.queries import users as user_queries
from backend.errors import AppError, ErrorCode


def check_credentials(
    session: Session, settings: Settings, *, username: str, password: str, client: str, now: dt.datetime
) -> User:
    """The active user with these credentials; failures are committed before the error is raised."""
    since = now - dt.timedelta(seconds=settings.login_window_s)
    failures = auth_queries.count_login_failures(session, username=username, client=client, since=since)
    if failures >= settings.login_max_failures:
        raise AppError(
            ErrorCode.RATE_LIMITED,
            f"登录失败次数过多，请 {settings.login_window_s // 60} 分钟后再试。",
            f"{failures} failed logins for {username!r} from {client} in the window",
        )
    user = user_queries.find_user_by_username(session, username=username)
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.is_active:
        auth_queries.add_login_failure(session, username=username, client=client, at=now)
        session.commit()
        raise AppError(ErrorCode.UNAUTHENTICATED, "用户名或密码错误。", f"failed login for {username!r}")
    if needs_rehash(user.password_hash):
        user_queries.set_password_hash(session, user_id=user.id, password_hash=hash_password(password))
    auth_queries.clear_login_failures(session, username=username, client=client, before=since)
    return user


def start_session(
    session: Session, settings: Settings, *, username: str, password: str, client: str, now: dt.datetime
) -> tuple[User, IssuedToken]:
    """Check the credentials (rate-limited) and open a browser session for the user."""
    user = check_credentials(session, settings, username=username, password=password, client=client, now=now)
    issued = issue_token(session, user_id=user.id, kind=TokenKind.SESSION, ttl_s=settings.session_ttl_s, now=now)
    return user, issued
