"""Review pages: the rubric tree with marks, a point's evidence (lazy), checklists, 整改跟踪."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from backend.api.deps import DbSession, SettingsDep, load_assessment, load_review, load_submission, load_version
from backend.db.queries import reviews, versions
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode
from backend.review.comparison import CHANGE_ZH, Change
from backend.review.operations import compare_versions, site_visit_questions
from backend.rubrics.registry import rubric_registry
from backend.web.deps import WebReader
from backend.web.render import page
from backend.workspace import review_groups

router = APIRouter()

CHECKLISTS = {"supplementary": "补充材料清单", "site-visit": "入校考察问题清单"}


@router.get("/reviews/{review_id}", response_class=HTMLResponse)
def review_page(
    request: Request,
    review_id: int,
    user: WebReader,
    session: DbSession,
    settings: SettingsDep,
    mark: Mark | None = None,
) -> HTMLResponse:
    """A review as a tree of indicators and points with their marks; evidence loads per point."""
    record = load_review(session, user, review_id)
    rubric = rubric_registry(settings).find(record.rubric_id, record.rubric_version)
    groups = review_groups(rubric, reviews.list_assessment_summaries(session, review_id=record.id), mark=mark)
    version = versions.get_version(session, version_id=record.version_id)
    questions = site_visit_questions(session, review=record, settings=settings)
    return page(
        request,
        "review/review.html",
        user,
        title="AI 初审结果",
        record=record,
        version=version,
        groups=groups,
        mark=mark,
        marks=tuple(Mark),
        rubric=rubric,
        questions=len(questions),
    )


@router.get("/assessments/{assessment_id}/points/{point_id}", response_class=HTMLResponse)
def point_detail(
    request: Request, assessment_id: int, point_id: str, user: WebReader, session: DbSession
) -> HTMLResponse:
    """One point's evidence, figure, missing evidence and advice (a fragment)."""
    record = load_assessment(session, user, assessment_id)
    assessment = record.assessment
    point = next((p for p in assessment.points if p.point_id == point_id), None)
    if point is None:
        raise AppError(ErrorCode.NOT_FOUND, "审核重点不存在。", f"no point {point_id} in assessment {assessment_id}")
    return page(
        request,
        "review/point.html",
        user,
        title="",
        record=record,
        point=point,
        missing=[m for m in assessment.missing if m.point_id == point_id],
        advice=[a for a in assessment.advice if a.point_id == point_id],
    )


@router.get("/reviews/{review_id}/checklists/{checklist}", response_class=HTMLResponse)
def checklist_page(
    request: Request, review_id: int, checklist: str, user: WebReader, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """补充材料清单 or 入校考察问题清单 (with the submission's figure conflicts as of now), printable."""
    if checklist not in CHECKLISTS:
        raise AppError(ErrorCode.NOT_FOUND, "页面不存在。", f"no checklist {checklist}")
    record = load_review(session, user, review_id)
    items = (
        record.supplementary_materials
        if checklist == "supplementary"
        else site_visit_questions(session, review=record, settings=settings)
    )
    version = versions.get_version(session, version_id=record.version_id)
    return page(
        request,
        "review/checklist.html",
        user,
        title=CHECKLISTS[checklist],
        record=record,
        version=version,
        items=items,
        heading=CHECKLISTS[checklist],
        kind=checklist,
    )


@router.get("/submissions/{submission_id}/compare", response_class=HTMLResponse)
def compare_page(
    request: Request,
    submission_id: int,
    before: int,
    after: int,
    user: WebReader,
    session: DbSession,
    settings: SettingsDep,
) -> HTMLResponse:
    """整改跟踪: two versions side by side, per point 已补充 / 仍缺失 / 退步, level moves, the new evidence."""
    submission = load_submission(session, user, submission_id)
    old, new = load_version(session, user, before), load_version(session, user, after)
    if old.submission_id != submission.id or new.submission_id != submission.id:
        raise AppError(
            ErrorCode.NOT_FOUND, "文件版本不存在。", f"versions {before}, {after} not of submission {submission_id}"
        )
    comparison = compare_versions(session, version_id=after, previous_id=before, settings=settings)
    counts = {change: comparison.count(change) for change in Change}
    return page(
        request,
        "review/compare.html",
        user,
        title="整改跟踪",
        submission=submission,
        old=old,
        new=new,
        comparison=comparison,
        counts=counts,
        change_zh=CHANGE_ZH,
    )
