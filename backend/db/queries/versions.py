"""Document versions: one per (submission, sha256)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import DocumentVersion, ParseStats, VersionStatus
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
) -> DocumentVersion:
    """Add a version in status ``uploaded``."""
    version = DocumentVersion(
        submission_id=submission_id,
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
    """The version with this id, or NOT_FOUND."""
    version = session.get(DocumentVersion, version_id)
    if version is None:
        raise AppError(ErrorCode.NOT_FOUND, "文件版本不存在。", f"no document version {version_id}")
    return version


def find_version(session: Session, *, submission_id: int, sha256: str) -> DocumentVersion | None:
    """The version of a submission with these bytes, if uploaded before."""
    query = select(DocumentVersion).where(
        DocumentVersion.submission_id == submission_id, DocumentVersion.sha256 == sha256
    )
    return session.scalars(query).one_or_none()


def list_versions(session: Session, *, submission_id: int) -> Sequence[DocumentVersion]:
    """Versions of a submission, oldest first."""
    query = select(DocumentVersion).where(DocumentVersion.submission_id == submission_id)
    return session.scalars(query.order_by(DocumentVersion.id)).all()


def previous_version(session: Session, *, version_id: int) -> DocumentVersion | None:
    """The version uploaded to the same submission just before this one (for rectification tracking)."""
    version = get_version(session, version_id=version_id)
    query = (
        select(DocumentVersion)
        .where(DocumentVersion.submission_id == version.submission_id, DocumentVersion.id < version.id)
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


def mark_version_failed(session: Session, *, version_id: int, error_zh: str) -> None:
    """Record why a version could not be ingested (the stored original stays)."""
    version = get_version(session, version_id=version_id)
    version.status = VersionStatus.FAILED
    version.error_zh = error_zh
    session.flush()


def set_parse_stats(session: Session, *, version_id: int, stats: ParseStats) -> None:
    """Replace what ingest recorded about a version (e.g. after facts were extracted later)."""
    get_version(session, version_id=version_id).parse_stats = stats
    session.flush()
