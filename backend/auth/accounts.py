"""Accounts managed by the administrator: users (password hashed here) and institutions."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.auth.passwords import hash_password
from backend.db.models import ID_LENGTH, NAME_LENGTH, Institution, Role, User
from backend.db.queries import audit, institutions, users
from backend.domain.enums import InstitutionType
from backend.errors import AppError, ErrorCode

USERNAME_PATTERN = r"^[\w.@-]+$"
MIN_PASSWORD_LENGTH = 8
# 18 random bytes: 24 URL-safe characters, 144 bits.
GENERATED_PASSWORD_BYTES = 18


@dataclass(frozen=True)
class NewUser:
    """A user added by name, with its password (to be shown once when it was generated)."""

    user: User
    institution: Institution | None
    password: str
    generated: bool


def generate_password() -> str:
    """A strong random password."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def create_account(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    institution_id: int | None,
    actor_id: int | None,
) -> User:
    """Add a user with an argon2 password hash; the institution must exist (``actor_id`` None: bootstrap)."""
    if institution_id is not None:
        institutions.get_institution(session, institution_id=institution_id)
    user = users.create_user(
        session,
        username=username,
        role=role,
        password_hash=hash_password(password),
        display_name=display_name,
        institution_id=institution_id,
    )
    audit.record_event(session, actor_id=actor_id, action="user.create", object_type="user", object_id=user.id)
    return user


def add_user(
    session: Session,
    *,
    username: str,
    role: Role,
    password: str | None,
    institution_name: str | None,
    display_name: str = "",
) -> NewUser:
    """Add a user by institution name (command line, no actor); a strong password is generated when none is given."""
    if not re.fullmatch(USERNAME_PATTERN, username) or len(username) > ID_LENGTH:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            f"用户名只能由字母、数字、下划线、点、@ 和 - 组成，最长 {ID_LENGTH} 个字符。",
            f"invalid username {username!r}",
        )
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AppError(ErrorCode.INVALID_INPUT, f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。", "password too short")
    if users.find_user_by_username(session, username=username) is not None:
        raise AppError(ErrorCode.CONFLICT, f"用户名「{username}」已存在。", f"duplicate username {username!r}")
    institution = None
    if institution_name is not None:
        institution = institutions.find_institution_by_name(session, name=institution_name)
        if institution is None:
            raise AppError(
                ErrorCode.NOT_FOUND, f"单位「{institution_name}」不存在。", f"no institution {institution_name!r}"
            )
    chosen = password if password is not None else generate_password()
    user = create_account(
        session,
        username=username,
        password=chosen,
        role=role,
        display_name=display_name,
        institution_id=institution.id if institution else None,
        actor_id=None,
    )
    return NewUser(user=user, institution=institution, password=chosen, generated=password is None)


def create_institution(
    session: Session, *, name: str, type: InstitutionType, region: str, actor_id: int | None
) -> Institution:
    """Add an institution (``actor_id`` None: the command line)."""
    institution = institutions.create_institution(session, name=name, type=type, region=region)
    audit.record_event(
        session, actor_id=actor_id, action="institution.create", object_type="institution", object_id=institution.id
    )
    return institution


def add_institution(session: Session, *, name: str, type: InstitutionType, region: str = "") -> Institution:
    """Add an institution from the command line (no actor); the name must be new."""
    if not name.strip() or len(name) > NAME_LENGTH:
        raise AppError(
            ErrorCode.INVALID_INPUT, f"单位名称不能为空，最长 {NAME_LENGTH} 个字符。", f"invalid name {name!r}"
        )
    if institutions.find_institution_by_name(session, name=name) is not None:
        raise AppError(ErrorCode.CONFLICT, f"单位「{name}」已存在。", f"duplicate institution {name!r}")
    return create_institution(session, name=name, type=type, region=region, actor_id=None)
