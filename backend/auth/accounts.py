"""Accounts managed by the administrator: users (password hashed here) and institutions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.auth.passwords import hash_password
from backend.db.models import Institution, Role, User
from backend.db.queries import audit, institutions, users
from backend.domain.enums import InstitutionType


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


def create_institution(
    session: Session, *, name: str, type: InstitutionType, region: str, actor_id: int
) -> Institution:
    """Add an institution."""
    institution = institutions.create_institution(session, name=name, type=type, region=region)
    audit.record_event(
        session, actor_id=actor_id, action="institution.create", object_type="institution", object_id=institution.id
    )
    return institution
