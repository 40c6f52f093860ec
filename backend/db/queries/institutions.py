"""Institutions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Institution
from backend.domain.enums import InstitutionType
from backend.errors import AppError, ErrorCode


def create_institution(session: Session, *, name: str, type: InstitutionType, region: str = "") -> Institution:
    """Add an institution."""
    institution = Institution(name=name, type=type, region=region)
    session.add(institution)
    session.flush()
    return institution


def get_institution(session: Session, *, institution_id: int) -> Institution:
    """The institution with this id, or NOT_FOUND."""
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise AppError(ErrorCode.NOT_FOUND, "单位不存在。", f"no institution {institution_id}")
    return institution


def list_institutions(session: Session, *, type: InstitutionType | None = None) -> Sequence[Institution]:
    """Institutions by name, optionally of one category."""
    query = select(Institution).order_by(Institution.name)
    if type is not None:
        query = query.where(Institution.type == type)
    return session.scalars(query).all()


def find_institution_by_name(session: Session, *, name: str) -> Institution | None:
    """The institution with this name, if any."""
    return session.scalars(select(Institution).where(Institution.name == name)).one_or_none()
