"""A campaign's selection data: submission tags, experts' declared conflicts, and the fixed shortlist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.db.models import ExpertConflict, ShortlistEntry, Submission, SubmissionTag
from backend.domain.enums import InstitutionType


def set_tags(session: Session, *, submission_id: int, tags: Iterable[str]) -> None:
    """Replace a submission's tags."""
    session.execute(delete(SubmissionTag).where(SubmissionTag.submission_id == submission_id))
    session.add_all(SubmissionTag(submission_id=submission_id, tag=t) for t in sorted(set(tags)))
    session.flush()


def campaign_tags(session: Session, *, campaign_id: int) -> dict[int, tuple[str, ...]]:
    """Submission id -> its tags, for the submissions of a campaign that have any."""
    query = (
        select(SubmissionTag.submission_id, SubmissionTag.tag)
        .join(Submission, Submission.id == SubmissionTag.submission_id)
        .where(Submission.campaign_id == campaign_id)
        .order_by(SubmissionTag.submission_id, SubmissionTag.tag)
    )
    found: dict[int, tuple[str, ...]] = {}
    for submission_id, tag in session.execute(query):
        found[submission_id] = (*found.get(submission_id, ()), tag)
    return found


def set_conflicts(session: Session, *, expert_id: int, institution_ids: Iterable[int]) -> None:
    """Replace the institutions an expert declared a conflict of interest with."""
    session.execute(delete(ExpertConflict).where(ExpertConflict.expert_id == expert_id))
    session.add_all(ExpertConflict(expert_id=expert_id, institution_id=i) for i in sorted(set(institution_ids)))
    session.flush()


def list_conflicts(session: Session, *, expert_id: int | None = None) -> Sequence[ExpertConflict]:
    """Declared conflicts, optionally of one expert."""
    query = select(ExpertConflict).order_by(ExpertConflict.expert_id, ExpertConflict.institution_id)
    if expert_id is not None:
        query = query.where(ExpertConflict.expert_id == expert_id)
    return session.scalars(query).all()


@dataclass(frozen=True)
class ShortlistRow:
    """A ranked submission (an institution's report, or a case) to put on the fixed shortlist."""

    institution_id: int
    submission_id: int
    category: InstitutionType
    rank: int
    score: float
    note: str


def replace_shortlist(
    session: Session, *, campaign_id: int, rows: Sequence[ShortlistRow], fixed_by: int, now: dt.datetime
) -> Sequence[ShortlistEntry]:
    """Fix a campaign's shortlist: the rows replace any earlier ones."""
    session.execute(delete(ShortlistEntry).where(ShortlistEntry.campaign_id == campaign_id))
    entries = [
        ShortlistEntry(
            campaign_id=campaign_id,
            institution_id=r.institution_id,
            submission_id=r.submission_id,
            category=r.category,
            rank=r.rank,
            score=r.score,
            note=r.note,
            fixed_by=fixed_by,
            fixed_at=now,
        )
        for r in rows
    ]
    session.add_all(entries)
    session.flush()
    return entries


def list_shortlist(session: Session, *, campaign_id: int) -> Sequence[ShortlistEntry]:
    """A campaign's fixed shortlist by category and rank (empty until fixed)."""
    query = (
        select(ShortlistEntry)
        .where(ShortlistEntry.campaign_id == campaign_id)
        .order_by(ShortlistEntry.category, ShortlistEntry.rank)
    )
    return session.scalars(query).all()
