"""Users."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Role, User
from backend.errors import AppError, ErrorCode


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    password_hash: str = "",
    display_name: str = "",
    institution_id: int | None = None,
) -> User:
    """Add a user; university users must belong to an institution."""
    if role is Role.UNIVERSITY and institution_id is None:
        raise AppError(ErrorCode.INVALID_INPUT, "高校用户必须属于一个单位。", "university user without institution")
    user = User(
        username=username,
        role=role,
        password_hash=password_hash,
        display_name=display_name or username,
        institution_id=institution_id,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, user_id: int) -> User:
    """The user with this id, or NOT_FOUND."""
    user = session.get(User, user_id)
    if user is None:
        raise AppError(ErrorCode.NOT_FOUND, "用户不存在。", f"no user {user_id}")
    return user


def find_user_by_username(session: Session, *, username: str) -> User | None:
    """The user with this username, if any."""
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def set_password_hash(session: Session, *, user_id: int, password_hash: str) -> None:
    """Replace a user's password hash."""
    get_user(session, user_id=user_id).password_hash = password_hash
    session.flush()


def list_users(session: Session, *, role: Role | None = None, institution_id: int | None = None) -> Sequence[User]:
    """Users by username, optionally filtered by role and institution."""
    query = select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    if institution_id is not None:
        query = query.where(User.institution_id == institution_id)
    return session.scalars(query).all()
