"""A stored review as a downloadable file: the Word report or the Excel sheet, with the version's context."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import BEIJING
from backend.db.models import ReviewRecord
from backend.db.queries import reviews, versions
from backend.errors import AppError, ErrorCode
from backend.reports.content import ReportHeader
from backend.reports.review_document import to_docx
from backend.reports.review_sheet import to_xlsx
from backend.review.operations import site_visit_questions
from backend.rubrics.registry import rubric_registry

MEDIA_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class ReviewExport:
    """A file to send: its name, type and bytes."""

    filename: str
    media_type: str
    data: bytes


def export_review(session: Session, settings: Settings, *, record: ReviewRecord, suffix: str) -> ReviewExport:
    """The review as ``.docx`` or ``.xlsx``, headed with the institution, version and review date."""
    if suffix not in MEDIA_TYPES:
        raise AppError(ErrorCode.INVALID_INPUT, "仅支持导出 Word（.docx）或 Excel（.xlsx）。", suffix)
    version = versions.get_version(session, version_id=record.version_id)
    number = [v.id for v in versions.list_versions(session, submission_id=version.submission_id, role=version.role)]
    header = ReportHeader(
        institution=version.submission.institution.name,
        version_label=f"第 {number.index(version.id) + 1} 版（{version.original_name}）",
        reviewed_on=record.created_at.astimezone(BEIJING).date(),
    )
    rubric = rubric_registry(settings).find(record.rubric_id, record.rubric_version)
    # the checklist carries the submission's figure conflicts as of now, as the page does
    questions = tuple(site_visit_questions(session, review=record, settings=settings))
    review = reviews.load_review(session, review_id=record.id).model_copy(update={"site_visit_questions": questions})
    out = io.BytesIO()
    (to_docx if suffix == ".docx" else to_xlsx)(review, out, header=header, rubric=rubric)
    stem = version.original_name.rsplit(".", 1)[0]
    return ReviewExport(f"AI初审意见-{stem}{suffix}", MEDIA_TYPES[suffix], out.getvalue())
