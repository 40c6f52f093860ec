"""The expert's review of an AI review: whose decisions a reader sees, the read-only rule after submission,
before → after audit details, evidence attached from the document search, opinions prefilled from the
decisions, submission, and how often experts accepted, edited or rejected the AI drafts per indicator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from backend.auth.tokens import Principal
from backend.campaigns import check_review_open
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import (
    AssessmentRecord,
    AttachedEvidence,
    DocumentVersion,
    ExpertDecision,
    ExpertOpinions,
    ExpertReview,
    IndicatorOpinion,
    Opinion,
    ReviewRecord,
    Role,
)
from backend.db.queries import audit, chunks, decisions, expert_reviews, reviews, users, versions
from backend.domain.enums import DecisionAction, Mark
from backend.embedding import build_embedder
from backend.errors import AppError, ErrorCode
from backend.review.decisions import DecisionInput, resolve_decision
from backend.rubrics.registry import rubric_registry
from backend.storage import index_dir
from indexing.search import HybridSearcher
from indexing.store import Collection

# Longest quote an expert attaches: a sentence or a table row, not a whole section.
MAX_QUOTE_CHARS = 400
SEARCH_HITS = 8
_SENTENCE_END = re.compile(r"(?<=[。；！？\n])")


@dataclass(frozen=True)
class DecisionScope:
    """Whose decisions a reader sees: ``reviewer_ids`` None is everyone's; ``name`` goes into ETags, so that
    readers with different scopes never share a cached body."""

    reviewer_ids: frozenset[int] | None
    name: str


def submitted_reviewer_ids(session: Session, *, review: ReviewRecord) -> frozenset[int]:
    """Experts whose review of this AI review is submitted and, by the campaign's setting, shown to the university."""
    submission = versions.get_version(session, version_id=review.version_id).submission
    if submission.campaign is not None and not submission.campaign.expert_results_visible:
        return frozenset()
    return expert_reviews.submitted_reviewer_ids(session, review_id=review.id)


def decision_scope(session: Session, principal: Principal, review: ReviewRecord) -> DecisionScope:
    """An expert sees their own decisions, a university the submitted ones (if shown), the secretariat all."""
    if principal.role is Role.EXPERT:
        return DecisionScope(frozenset({principal.user_id}), f"expert{principal.user_id}")
    if principal.role is Role.UNIVERSITY:
        shown = submitted_reviewer_ids(session, review=review)
        return DecisionScope(shown, "submitted" + "-".join(str(i) for i in sorted(shown)))
    return DecisionScope(None, "all")


def ensure_open(session: Session, *, reviewer_id: int, review_id: int) -> None:
    """Refuse (CONFLICT) a change by an expert who has submitted this review (it is read-only for them) or after the
    campaign's expert review deadline."""
    if expert_reviews.find_expert_review(session, reviewer_id=reviewer_id, review_id=review_id) is not None:
        raise AppError(
            ErrorCode.CONFLICT, "您已提交该评审，评审结果不能再修改。", f"expert {reviewer_id} submitted {review_id}"
        )
    check_review_open(reviews.get_review(session, review_id=review_id).version.submission.campaign, now=utcnow())


class DecisionState(BaseModel):
    """A point's or indicator's state in the audit trail: the AI draft (``action`` None) or a decision."""

    model_config = ConfigDict(frozen=True)

    action: DecisionAction | None = None
    mark: Mark | None = None
    level: str | None = None
    comment: str = ""
    advice_zh: str | None = None

    @classmethod
    def of(cls, row: ExpertDecision) -> DecisionState:
        """The state a stored decision sets."""
        return cls(
            action=row.action,
            mark=row.final_mark,
            level=row.final_level,
            comment=row.comment,
            advice_zh=row.advice_zh,
        )


class DecisionChange(BaseModel):
    """An audit event's detail for a decision: what stood before and what the expert set."""

    model_config = ConfigDict(frozen=True)

    point_id: str | None
    before: DecisionState
    after: DecisionState


class AttachedChange(BaseModel):
    """An audit event's detail for a quote attached to a point."""

    model_config = ConfigDict(frozen=True)

    point_id: str
    attached_id: int
    quote: str
    page_start: int | None


def point_object_id(assessment_id: int, point_id: str) -> str:
    """The audit object id of a review point."""
    return f"{assessment_id}:{point_id}"


def decide(
    session: Session, *, assessment_id: int, reviewer_id: int, decision: DecisionInput, settings: Settings
) -> ExpertDecision:
    """Validate an expert's decision against the assessment and its rubric's scale, append it, audit it."""
    assessment = reviews.get_assessment(session, assessment_id=assessment_id)
    ensure_open(session, reviewer_id=reviewer_id, review_id=assessment.review_id)
    record = assessment.review
    rubric = rubric_registry(settings).get(record.rubric_id, record.rubric_version)
    resolved = resolve_decision(assessment.assessment, rubric, decision)
    row = decisions.add_decision(
        session,
        assessment_id=assessment_id,
        reviewer_id=reviewer_id,
        action=resolved.action,
        point_id=resolved.point_id,
        final_mark=resolved.final_mark,
        final_level=resolved.final_level,
        comment=resolved.comment,
        advice_zh=resolved.advice_zh,
    )
    _audit_decision(session, row=row, assessment=assessment)
    return row


def _audit_decision(session: Session, *, row: ExpertDecision, assessment: AssessmentRecord) -> None:
    """Append the decision's audit event: who, when, the state before (their previous decision or the AI draft)."""
    earlier = [
        d
        for d in decisions.list_decisions(
            session, assessment_id=assessment.id, reviewer_ids=[row.reviewer_id], point_id=row.point_id
        )
        if d.id != row.id and d.point_id == row.point_id
    ]
    if earlier:
        before = DecisionState.of(earlier[-1])
    elif row.point_id is None:
        before = DecisionState(level=assessment.level)
    else:
        point = next(p for p in assessment.summary.points if p.point_id == row.point_id)
        before = DecisionState(mark=point.mark)
    change = DecisionChange(point_id=row.point_id, before=before, after=DecisionState.of(row))
    audit.record_event(
        session,
        actor_id=row.reviewer_id,
        action=f"decision.{row.action.value}",
        object_type="review_point" if row.point_id is not None else "indicator_assessment",
        object_id=point_object_id(assessment.id, row.point_id) if row.point_id is not None else assessment.id,
        detail=change.model_dump_json(),
    )


@dataclass(frozen=True)
class SearchHit:
    """A chunk the document search found, with the sentence proposed as the quote to attach."""

    chunk_key: str
    text: str
    quote: str
    page_start: int | None
    page_end: int | None
    heading_path: tuple[str, ...]
    rank: int


@lru_cache(maxsize=8)
def _collection(path: Path, mtime_ns: int) -> Collection:
    """A version's index, kept per process (a version's index is written once; the mtime names the copy)."""
    return Collection.load(path)


def _best_sentence(text: str, terms: Sequence[str]) -> str:
    """The sentence of ``text`` with the most query terms, verbatim and at most MAX_QUOTE_CHARS long."""
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()] or [text]
    best = max(sentences, key=lambda s: (sum(t in s for t in terms), -sentences.index(s)))
    return best.strip()[:MAX_QUOTE_CHARS]


def search_version(settings: Settings, *, version: DocumentVersion, query: str) -> list[SearchHit]:
    """Hybrid search (dense + BM25) over one version's index, as the review engine searches it."""
    path = index_dir(settings, version.id)
    if not path.is_dir():
        raise AppError(ErrorCode.CONFLICT, "该文件尚无检索索引，暂不能搜索。", f"no index for version {version.id}")
    collection = _collection(path, path.stat().st_mtime_ns)
    hits = HybridSearcher(collection, build_embedder(settings)).search(query.strip(), SEARCH_HITS)
    terms = [query.strip(), *re.split(r"\s+", query.strip())]
    return [
        SearchHit(
            chunk_key=h.chunk.id,
            text=h.chunk.text,
            quote=_best_sentence(h.chunk.text, [*terms, *h.matched_terms]),
            page_start=h.chunk.page_start,
            page_end=h.chunk.page_end,
            heading_path=h.chunk.heading_path,
            rank=h.rank,
        )
        for h in hits
    ]


def attach_evidence(
    session: Session, *, assessment_id: int, point_id: str, reviewer_id: int, chunk_key: str, quote: str
) -> AttachedEvidence:
    """Attach a verbatim quote of one of the version's chunks to a review point, and audit it."""
    assessment = reviews.get_assessment(session, assessment_id=assessment_id)
    ensure_open(session, reviewer_id=reviewer_id, review_id=assessment.review_id)
    if point_id not in {p.point_id for p in assessment.summary.points}:
        raise AppError(ErrorCode.NOT_FOUND, "审核重点不存在。", f"no point {point_id} in assessment {assessment_id}")
    quote = quote.strip()
    if not quote or len(quote) > MAX_QUOTE_CHARS:
        raise AppError(
            ErrorCode.INVALID_INPUT, f"引文不能为空，且不超过 {MAX_QUOTE_CHARS} 字。", f"quote of {len(quote)} chars"
        )
    found = chunks.get_chunks(session, version_id=assessment.review.version_id, chunk_keys=[chunk_key])
    start = found[0].text.find(quote) if found else -1
    if start < 0:
        raise AppError(ErrorCode.INVALID_INPUT, "引文必须与原文逐字一致。", f"quote not verbatim in chunk {chunk_key}")
    chunk = found[0]
    row = expert_reviews.attach_evidence(
        session,
        assessment_id=assessment_id,
        point_id=point_id,
        reviewer_id=reviewer_id,
        chunk_key=chunk_key,
        quote=quote,
        quote_start=start,
        quote_end=start + len(quote),
        page_start=chunk.page_start,
        page_end=chunk.page_end,
        heading_path=tuple(chunk.heading_path),
    )
    change = AttachedChange(point_id=point_id, attached_id=row.id, quote=quote, page_start=chunk.page_start)
    audit.record_event(
        session,
        actor_id=reviewer_id,
        action="evidence.attach",
        object_type="review_point",
        object_id=point_object_id(assessment_id, point_id),
        detail=change.model_dump_json(),
    )
    return row


def _by_point(current: Sequence[ExpertDecision]) -> dict[tuple[int, str | None], ExpertDecision]:
    return {(d.assessment_id, d.point_id): d for d in current}


def prefill_opinions(assessments: Sequence[AssessmentRecord], current: Sequence[ExpertDecision]) -> ExpertOpinions:
    """Opinions drafted from one expert's decisions: 句号 points are strengths, the others problems with their
    comments, and the advice the expert kept or edited; the expert edits them before submitting."""
    by_point = _by_point(current)
    indicators, all_strengths, all_problems, all_advice = [], [], [], []
    for a in assessments:
        strengths, problems, advice = [], [], []
        ai_advice = {x.point_id: x.text_zh for x in a.assessment.advice}
        for p in a.assessment.points:
            d = by_point.get((a.id, p.point_id))
            mark = d.final_mark if d is not None and d.final_mark is not None else p.mark
            comment = f"（{d.comment}）" if d is not None and d.comment else ""
            if mark is Mark.CLEAR:
                strengths.append(f"{p.point_text}：证据充分{comment}。")
            else:
                problems.append(f"{p.point_text}：{mark.zh}{comment}。")
                text = (d.advice_zh if d is not None and d.advice_zh else None) or ai_advice.get(p.point_id)
                if text:
                    advice.append(text)
        indicators.append(
            IndicatorOpinion(
                indicator_id=a.indicator_id,
                strengths="\n".join(strengths),
                problems="\n".join(problems),
                advice="\n".join(dict.fromkeys(advice)),
            )
        )
        name = a.summary.indicator_name
        if strengths and not problems:
            all_strengths.append(f"{a.indicator_id} {name}：各审核重点证据充分。")
        if problems:
            all_problems.append(f"{a.indicator_id} {name}：{len(problems)} 个审核重点需补充材料或入校核实。")
        all_advice.extend(advice[:1])
    overall = Opinion(
        strengths="\n".join(all_strengths),
        problems="\n".join(all_problems),
        advice="\n".join(dict.fromkeys(all_advice)),
    )
    return ExpertOpinions(overall=overall, indicators=tuple(indicators))


def undecided_points(assessments: Sequence[AssessmentRecord], current: Sequence[ExpertDecision]) -> int:
    """How many review points the expert has not decided yet."""
    by_point = _by_point(current)
    return sum((a.id, p.point_id) not in by_point for a in assessments for p in a.summary.points)


def submit_expert_review(
    session: Session,
    *,
    review_id: int,
    reviewer_id: int,
    opinions: ExpertOpinions,
    levels: Mapping[int, str],
    settings: Settings,
) -> ExpertReview:
    """Submit once every point is decided: each indicator's level as chosen (a decision), then the opinions.

    ``levels`` maps assessment id to the level the expert chose: the AI's level is an accept, another an edit.
    """
    ensure_open(session, reviewer_id=reviewer_id, review_id=review_id)
    assessments = reviews.list_assessment_summaries(session, review_id=review_id)
    current = decisions.current_decisions(session, review_id=review_id, reviewer_ids=[reviewer_id])
    missing = undecided_points(assessments, current)
    if missing:
        raise AppError(
            ErrorCode.CONFLICT, f"还有 {missing} 个审核重点未作决定，请先完成后再提交。", f"{missing} undecided"
        )
    by_point = _by_point(current)
    for a in assessments:
        chosen = levels.get(a.id)
        decided = by_point.get((a.id, None))
        standing = decided.final_level if decided is not None and decided.final_level else a.level
        if chosen is not None and (decided is None or chosen != standing):
            action = DecisionAction.ACCEPT if chosen == a.level else DecisionAction.EDIT
            level = DecisionInput(action=action, final_level=None if action is DecisionAction.ACCEPT else chosen)
            decide(session, assessment_id=a.id, reviewer_id=reviewer_id, decision=level, settings=settings)
    row = expert_reviews.submit_review(session, reviewer_id=reviewer_id, review_id=review_id, opinions=opinions)
    audit.record_event(
        session,
        actor_id=reviewer_id,
        action="expert_review.submit",
        object_type="review",
        object_id=review_id,
        detail=opinions.model_dump_json(),
    )
    return row


@dataclass(frozen=True)
class AgreementRow:
    """How one expert treated the AI drafts of one indicator: current decisions by action."""

    reviewer_id: int
    reviewer: str
    rubric_id: str
    indicator_id: str
    indicator_name: str
    accepted: int
    edited: int
    rejected: int

    @property
    def total(self) -> int:
        """Decisions counted."""
        return self.accepted + self.edited + self.rejected

    @property
    def accept_rate(self) -> float:
        """Share of drafts accepted as they were."""
        return self.accepted / self.total if self.total else 0.0


def agreement(session: Session, settings: Settings) -> list[AgreementRow]:
    """Per expert and indicator, the current decisions (points and level) by action, sorted by expert and id."""
    counts: dict[tuple[int, str, str], dict[DecisionAction, int]] = {}
    for reviewer_id, rubric_id, indicator_id, action, n in decisions.agreement_counts(session):
        counts.setdefault((reviewer_id, rubric_id, indicator_id), {})[action] = n
    registry = rubric_registry(settings)
    names = {
        (rubric.id, ind.id): ind.name
        for rubric in registry.list()
        if rubric.id in {rubric_id for _, rubric_id, _ in counts}
        for _, ind in rubric.iter_indicators()
    }
    experts = {u.id: u.display_name or u.username for u in users.list_users(session, role=Role.EXPERT)}
    return [
        AgreementRow(
            reviewer_id=rid,
            reviewer=experts.get(rid, str(rid)),
            rubric_id=rubric,
            indicator_id=ind,
            indicator_name=names.get((rubric, ind), ""),
            accepted=by.get(DecisionAction.ACCEPT, 0),
            edited=by.get(DecisionAction.EDIT, 0),
            rejected=by.get(DecisionAction.REJECT, 0),
        )
        for (rid, rubric, ind), by in sorted(
            counts.items(), key=lambda kv: (experts.get(kv[0][0], ""), kv[0][1], _id_key(kv[0][2]))
        )
    ]


def _id_key(indicator_id: str) -> tuple[int | str, ...]:
    return tuple(int(x) if x.isdigit() else x for x in indicator_id.split("."))
