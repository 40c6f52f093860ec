"""Administration: institutions and users (the secretariat may read both)."""

from __future__ import annotations

from backend.api.deps import Admin, DbSession, UserReaders
from backend.api.routing import Router
from backend.api.schemas import InstitutionIn, InstitutionOut, UserIn, UserOut
from backend.auth.accounts import create_account, create_institution
from backend.db.queries import institutions, users

router = Router(tags=["admin"])


@router.get("/institutions")
def list_institutions(user: UserReaders, session: DbSession) -> list[InstitutionOut]:
    """All institutions."""
    return [InstitutionOut.model_validate(i) for i in institutions.list_institutions(session)]


@router.post("/institutions", status_code=201)
def add_institution(body: InstitutionIn, user: Admin, session: DbSession) -> InstitutionOut:
    """Add an institution."""
    institution = create_institution(session, name=body.name, type=body.type, region=body.region, actor_id=user.user_id)
    return InstitutionOut.model_validate(institution)


@router.get("/users")
def list_users(user: UserReaders, session: DbSession) -> list[UserOut]:
    """All users (without password hashes)."""
    return [UserOut.model_validate(u) for u in users.list_users(session)]


@router.post("/users", status_code=201)
def add_user(body: UserIn, user: Admin, session: DbSession) -> UserOut:
    """Add a user with a password (stored as an argon2 hash)."""
    created = create_account(session, **body.model_dump(), actor_id=user.user_id)
    return UserOut.model_validate(created)
