"""Diagnosis test data: a stored AI review with real quality-culture point ids whose quotes lie in stored chunks
(one deliberately not verbatim), questionnaire answers, and institutions of a category with submitted rounds."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.auth.tokens import Principal
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import Chunk, JobKind, Role, TokenKind
from backend.db.queries import institutions, jobs, reviews, users
from backend.diagnosis import flows, scoring
from backend.domain import assessment as rm
from backend.domain.diagnosis import Answer, RespondentRole
from backend.domain.enums import InstitutionType, Mark

RUBRIC_ID = "quality-culture-2026"
CONCRETE = (
    "学校将“学生中心、产出导向、持续改进”写入质量方针，2025年修订《本科教学质量保障体系实施办法》并全校宣讲32场。"
)
VAGUE = "学校高度重视质量保障制度建设，不断完善相关制度。"
TAMPERED = "学校党委常委会每学期专题研究质量文化建设。"  # stored in the review, but not in the chunk text

# Point → (mark, chunk key and text, the quote the review stored); points not listed are absent from the review.
REVIEWED = {
    "1.1.1": (Mark.CLEAR, "k1", CONCRETE, CONCRETE[:40]),
    "1.1.2": (Mark.MORE_MATERIAL, None, None, None),
    "2.1.1": (Mark.VERIFY_ON_SITE, "k2", VAGUE, VAGUE),
    "1.2.1": (Mark.CLEAR, "k3", "学校党委常委会每年研究一次质量工作。", TAMPERED),
}


def store_evidence_review(db: Session, *, version_id: int) -> int:
    """Chunks of a version and a quality-culture review quoting them; returns the review id."""
    for n, (_, key, text, _) in enumerate(v for v in REVIEWED.values() if v[1]):
        db.add(Chunk(version_id=version_id, chunk_key=key, ordinal=100 + n, text=text, heading_path=("一",)))
    signals = rm.PointSignals(best_dense=0.6, best_bm25=3.0, term_coverage=0.6, concrete=1.0)
    by_indicator: dict[str, list[rm.PointAssessment]] = {}
    for point_id, (mark, key, _, quote) in REVIEWED.items():
        evidence = ()
        if key:
            evidence = (
                rm.Evidence(
                    chunk_id=key,
                    document_id="d",
                    quote=quote,
                    quote_start=0,
                    quote_end=len(quote),
                    page_start=7,
                    page_end=7,
                    heading_path=("一",),
                    fused_score=0.03,
                    rank=1,
                ),
            )
        point = rm.PointAssessment(
            point_id=point_id, point_text=point_id, mark=mark, evidence=evidence, signals=signals, rationale_zh="依据"
        )
        by_indicator.setdefault(point_id.rsplit(".", 1)[0], []).append(point)
    review = rm.Review(
        document_id="d",
        document_name="质量文化自评报告.pdf",
        rubric_id=RUBRIC_ID,
        rubric_version="1.0",
        rubric_fingerprint="f" * 64,
        assessments=tuple(
            rm.IndicatorAssessment(
                indicator_id=ind,
                indicator_name=ind,
                level="B",
                level_label="良好",
                confidence=0.7,
                points=tuple(pts),
                rationale_zh="草稿",
                draft=rm.DraftInfo(drafter=rm.DrafterKind.EXTRACTIVE, version="1"),
            )
            for ind, pts in by_indicator.items()
        ),
    )
    job = jobs.create_job(db, kind=JobKind.REVIEW, version_id=version_id, rubric_id=RUBRIC_ID)
    record = reviews.save_review(db, job_id=job.id, version_id=version_id, review=review)
    db.commit()
    return record.id


def answers(settings: Settings, default: str, **levels: str) -> list[Answer]:
    """An answer for every point: ``default``, or the level given for a point (``p1_1_1="D"`` for 1.1.1)."""
    wanted = {k.removeprefix("p").replace("_", "."): v for k, v in levels.items()}
    form = scoring.questionnaire(flows.diagnosis_rubric(settings))
    return [Answer(point_id=pid, level=wanted.get(pid, default)) for pid in form.point_ids]


def principal(db: Session, user_id: int) -> Principal:
    """The principal of a user, as a request would carry it."""
    user = users.get_user(db, user_id=user_id)
    return Principal(user.id, user.username, user.display_name, user.role, user.institution_id, TokenKind.API, "")


def diagnosed_institution(db: Session, settings: Settings, *, name: str, type: InstitutionType, default: str) -> int:
    """An institution with one user who submitted a whole questionnaire at ``default``; returns the diagnosis id."""
    institution = institutions.create_institution(db, name=name, type=type)
    user = users.create_user(db, username=f"u-{name}", role=Role.UNIVERSITY, institution_id=institution.id)
    who = principal(db, user.id)
    diagnosis = flows.start_diagnosis(db, settings, principal=who, title="", now=utcnow())
    flows.save_answers(
        db,
        settings,
        diagnosis=diagnosis,
        principal=who,
        role=RespondentRole.QA_OFFICE,
        answers=answers(settings, default),
        submit=True,
        now=utcnow(),
    )
    db.commit()
    return diagnosis.id
