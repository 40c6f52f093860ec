"""Report drafts: created with their job, content saved once by the job, section edits, the finalised version."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import DraftRecord
from backend.domain.assessment import DrafterKind
from backend.domain.report_draft import ReportDraft, SectionEdit
from backend.errors import AppError, ErrorCode


def create_draft(
    session: Session, *, submission_id: int, job_id: int, rubric_id: str, drafter: DrafterKind, created_by: int | None
) -> DraftRecord:
    """Add a draft waiting for its job."""
    record = DraftRecord(
        submission_id=submission_id, job_id=job_id, rubric_id=rubric_id, drafter=drafter, created_by=created_by
    )
    session.add(record)
    session.flush()
    return record


def get_draft(session: Session, *, draft_id: int) -> DraftRecord:
    """The draft with this id, or NOT_FOUND."""
    record = session.get(DraftRecord, draft_id)
    if record is None:
        raise AppError(ErrorCode.NOT_FOUND, "报告草稿不存在。", f"no draft {draft_id}")
    return record


def find_draft_for_job(session: Session, *, job_id: int) -> DraftRecord | None:
    """The draft a job writes, if any."""
    return session.scalars(select(DraftRecord).where(DraftRecord.job_id == job_id)).one_or_none()


def list_drafts(session: Session, *, submission_id: int) -> Sequence[DraftRecord]:
    """A submission's drafts, newest first."""
    query = select(DraftRecord).where(DraftRecord.submission_id == submission_id).order_by(DraftRecord.id.desc())
    return session.scalars(query).all()


def save_content(session: Session, *, draft_id: int, content: ReportDraft) -> bool:
    """Store the drafted report once; False (nothing changed) if it was stored before."""
    record = get_draft(session, draft_id=draft_id)
    if record.content is not None:
        return False
    record.content = content
    session.flush()
    return True


def save_edit(session: Session, *, draft_id: int, edit: SectionEdit) -> DraftRecord:
    """Replace the university's edit of one section (an empty text restores the drafted one)."""
    record = get_draft(session, draft_id=draft_id)
    kept = tuple(e for e in record.edits if e.indicator_id != edit.indicator_id)
    record.edits = (*kept, edit) if edit.text.strip() else kept
    session.flush()
    return record


def set_final_version(session: Session, *, draft_id: int, version_id: int) -> None:
    """Record the report version the draft was finalised as."""
    get_draft(session, draft_id=draft_id).final_version_id = version_id
    session.flush()
