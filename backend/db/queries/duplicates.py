"""Case versions compared for near-duplicates, and the secretariat's verdicts on pairs (append-only)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import (
    Campaign,
    DocumentRole,
    DocumentVersion,
    DuplicateMark,
    DuplicateVerdict,
    Submission,
    VersionStatus,
)
from backend.domain.enums import SubmissionKind


def case_campaigns_up_to(session: Session, *, campaign_id: int) -> Sequence[Campaign]:
    """The case campaigns up to and including this one (earlier ones first)."""
    query = select(Campaign).where(Campaign.kind == SubmissionKind.CASE, Campaign.id <= campaign_id)
    return session.scalars(query.order_by(Campaign.id)).all()


def ready_case_texts(session: Session) -> Sequence[DocumentVersion]:
    """Every ingested main version (not deleted) of a submission in a case campaign, oldest first."""
    query = (
        select(DocumentVersion)
        .join(Submission, Submission.id == DocumentVersion.submission_id)
        .join(Campaign, Campaign.id == Submission.campaign_id)
        .where(
            Campaign.kind == SubmissionKind.CASE,
            DocumentVersion.role == DocumentRole.MAIN,
            DocumentVersion.status == VersionStatus.READY,
            DocumentVersion.deleted_at.is_(None),
        )
    )
    return session.scalars(query.order_by(DocumentVersion.id)).all()


def latest_ready_cases(session: Session, *, campaign_ids: Sequence[int]) -> list[DocumentVersion]:
    """The latest ingested main version of every submission of these campaigns, in submission order."""
    query = (
        select(DocumentVersion)
        .join(Submission, Submission.id == DocumentVersion.submission_id)
        .where(
            Submission.campaign_id.in_(list(campaign_ids)),
            DocumentVersion.role == DocumentRole.MAIN,
            DocumentVersion.status == VersionStatus.READY,
            DocumentVersion.deleted_at.is_(None),
        )
        .order_by(DocumentVersion.submission_id, DocumentVersion.id)
    )
    latest: dict[int, DocumentVersion] = {}
    for version in session.scalars(query):
        latest[version.submission_id] = version
    return list(latest.values())


def add_mark(
    session: Session,
    *,
    campaign_id: int,
    version_a_id: int,
    version_b_id: int,
    verdict: DuplicateVerdict,
    note: str,
    marked_by: int,
) -> DuplicateMark:
    """Append a verdict on a pair (ids in either order; stored lower first)."""
    low, high = sorted((version_a_id, version_b_id))
    mark = DuplicateMark(
        campaign_id=campaign_id, version_a_id=low, version_b_id=high, verdict=verdict, note=note, marked_by=marked_by
    )
    session.add(mark)
    session.flush()
    return mark


def current_marks(session: Session, *, campaign_id: int) -> dict[tuple[int, int], DuplicateMark]:
    """(lower version id, higher version id) -> the latest verdict on that pair in the campaign."""
    query = select(DuplicateMark).where(DuplicateMark.campaign_id == campaign_id).order_by(DuplicateMark.id)
    return {(m.version_a_id, m.version_b_id): m for m in session.scalars(query)}


def pair_marks(session: Session, *, campaign_id: int, version_a_id: int, version_b_id: int) -> Sequence[DuplicateMark]:
    """Every verdict on one pair in the campaign, newest first."""
    low, high = sorted((version_a_id, version_b_id))
    query = select(DuplicateMark).where(
        DuplicateMark.campaign_id == campaign_id, DuplicateMark.version_a_id == low, DuplicateMark.version_b_id == high
    )
    return session.scalars(query.order_by(DuplicateMark.id.desc())).all()
