"""Document versions: one per (submission, sha256); a deleted version is hidden until its bytes come again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from backend.db.models import Chunk, DocumentRole, DocumentVersion, FactRecord, ParseStats, Submission, VersionStatus
from backend.errors import AppError, ErrorCode


def create_version(
    session: Session,
    *,
    submission_id: int,
    sha256: str,
    original_name: str,
    size_bytes: int,
    media_type: str | None = None,
    created_by: int | None = None,
    role: DocumentRole = DocumentRole.MAIN,
) -> DocumentVersion:
    """Add a version in status ``uploaded``."""
    version = DocumentVersion(
        submission_id=submission_id,
        role=role,
        sha256=sha256,
        original_name=original_name,
        size_bytes=size_bytes,
        media_type=media_type,
        created_by=created_by,
    )
    session.add(version)
    session.flush()
    return version


def get_version(session: Session, *, version_id: int) -> DocumentVersion:
    """The version with this id, or NOT_FOUND (also for a deleted one), with its submission and campaign."""
    version = session.get(DocumentVersion, version_id)
    if version is None or version.deleted_at is not None:
        raise AppError(ErrorCode.NOT_FOUND, "文件版本不存在。", f"no document version {version_id}")
    return version


def find_version(session: Session, *, submission_id: int, sha256: str) -> DocumentVersion | None:
    """The version of a submission with these bytes, if uploaded before (deleted or not)."""
    query = select(DocumentVersion).where(
        DocumentVersion.submission_id == submission_id, DocumentVersion.sha256 == sha256
    )
    return session.scalars(query).one_or_none()


def list_versions(
    session: Session, *, submission_id: int, role: DocumentRole | None = None
) -> Sequence[DocumentVersion]:
    """Versions of a submission, oldest first (deleted ones left out), optionally of one role only."""
    query = select(DocumentVersion).where(
        DocumentVersion.submission_id == submission_id, DocumentVersion.deleted_at.is_(None)
    )
    if role is not None:
        query = query.where(DocumentVersion.role == role)
    return session.scalars(query.order_by(DocumentVersion.id)).all()


def previous_version(session: Session, *, version_id: int) -> DocumentVersion | None:
    """The version uploaded to the same submission just before this one (for rectification tracking)."""
    version = get_version(session, version_id=version_id)
    query = (
        select(DocumentVersion)
        .where(
            DocumentVersion.submission_id == version.submission_id,
            DocumentVersion.id < version.id,
            DocumentVersion.role == version.role,
            DocumentVersion.deleted_at.is_(None),
        )
        .order_by(DocumentVersion.id.desc())
        .limit(1)
    )
    return session.scalars(query).one_or_none()


def set_version_status(session: Session, *, version_id: int, status: VersionStatus) -> None:
    """Move a version to another ingest status."""
    get_version(session, version_id=version_id).status = status
    session.flush()


def mark_version_ready(
    session: Session, *, version_id: int, media_type: str, pages: int | None, stats: ParseStats
) -> None:
    """Record what ingest found and make the version ready for review."""
    version = get_version(session, version_id=version_id)
    version.status = VersionStatus.READY
    version.media_type = media_type
    version.pages = pages
    version.parse_stats = stats
    version.error_zh = None
    session.flush()


def set_parse_stats(session: Session, *, version_id: int, stats: ParseStats) -> None:
    """Replace what ingest recorded about a version (e.g. after facts were extracted later)."""
    get_version(session, version_id=version_id).parse_stats = stats
    session.flush()


def delete_version(session: Session, *, version_id: int, now: dt.datetime) -> None:
    """Hide a version and drop its chunks and facts; the row stays (its id is never reused) with its jobs."""
    for model in (Chunk, FactRecord):
        session.execute(delete(model).where(model.version_id == version_id))
    get_version(session, version_id=version_id).deleted_at = now
    session.flush()


def reopen_version(session: Session, *, version_id: int, original_name: str) -> bool:
    """Bring back a deleted or failed version whose bytes were uploaded again, as freshly uploaded.

    False if the version is live and not failed (or a concurrent upload reopened it first).
    """
    reopenable = or_(DocumentVersion.deleted_at.is_not(None), DocumentVersion.status == VersionStatus.FAILED)
    values = {"deleted_at": None, "status": VersionStatus.UPLOADED, "error_zh": None, "original_name": original_name}
    statement = update(DocumentVersion).where(DocumentVersion.id == version_id, reopenable).values(**values)
    return session.execute(statement.execution_options(synchronize_session="fetch")).rowcount == 1


def list_institution_versions(session: Session, *, institution_id: int) -> Sequence[DocumentVersion]:
    """Every processed (ready) file of an institution's submissions, newest first (deleted ones left out)."""
    query = (
        select(DocumentVersion)
        .join(Submission, Submission.id == DocumentVersion.submission_id)
        .where(
            Submission.institution_id == institution_id,
            DocumentVersion.deleted_at.is_(None),
            DocumentVersion.status == VersionStatus.READY,
        )
    )
    return session.scalars(query.order_by(DocumentVersion.id.desc())).all()
