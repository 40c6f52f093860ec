"""Audit events: append-only (the database refuses updates and deletes)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from backend.db.models import AuditEvent


def record_event(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | str,
    detail: str = "",
) -> AuditEvent:
    """Append who (None: the system) did ``action`` to which object."""
    event = AuditEvent(
        actor_id=actor_id, action=action, object_type=object_type, object_id=str(object_id), detail=detail
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: int | str | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    limit: int = 200,
) -> Sequence[AuditEvent]:
    """Audit events, newest first, optionally of one object, one actor or one action."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if object_type is not None:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == str(object_id))
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    return session.scalars(query).all()


def list_events_of(
    session: Session, *, objects: Sequence[tuple[str, str]], actor_id: int | None = None, limit: int = 1000
) -> Sequence[AuditEvent]:
    """Audit events of any of these (object type, object id) pairs, newest first, optionally of one actor."""
    if not objects:
        return []
    query = (
        select(AuditEvent)
        .where(tuple_(AuditEvent.object_type, AuditEvent.object_id).in_(objects))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    return session.scalars(query).all()
