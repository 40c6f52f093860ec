"""Near-duplicate cases of a case campaign (against it and earlier case campaigns), the pair view, the verdicts."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import Campaign, DocumentVersion, DuplicateMark, DuplicateVerdict
from backend.db.queries import audit, chunks, duplicates, versions
from backend.domain.enums import SubmissionKind
from backend.errors import AppError, ErrorCode
from backend.storage import index_dir
from indexing.near_duplicates import CHUNK_JOIN, CaseText, Passages, Signal, find_near_duplicates, shared_passages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseRef:
    """One compared case: its version, submission title, institution and campaign."""

    version_id: int
    submission_id: int
    title: str
    institution: str
    campaign_id: int
    campaign_name: str


@dataclass(frozen=True)
class DuplicateRow:
    """A pair found alike, with its scores, the signal that found it and the verdict in force (None: not marked)."""

    a: CaseRef
    b: CaseRef
    containment: float
    alignment: float
    signal: Signal
    verdict: DuplicateVerdict | None


@dataclass(frozen=True)
class Segment:
    """A run of a case's text, shared with the other case of the pair or not."""

    text: str
    shared: bool


@dataclass(frozen=True)
class PairView:
    """Two cases side by side: their texts cut into shared and own segments, the share shared, the verdicts."""

    a: CaseRef
    b: CaseRef
    a_segments: tuple[Segment, ...]
    b_segments: tuple[Segment, ...]
    a_shared: float
    b_shared: float
    marks: tuple[DuplicateMark, ...]


def _check_case_campaign(campaign: Campaign) -> None:
    if campaign.kind is not SubmissionKind.CASE:
        raise AppError(
            ErrorCode.NOT_FOUND, "只有优秀案例活动才有查重结果。", f"campaign {campaign.id} is not a case campaign"
        )


def _ref(version: DocumentVersion) -> CaseRef:
    sub = version.submission
    campaign = sub.campaign
    return CaseRef(
        version_id=version.id,
        submission_id=sub.id,
        title=sub.title,
        institution=sub.institution.name,
        campaign_id=campaign.id if campaign else 0,
        campaign_name=campaign.name if campaign else "",
    )


def _text(session: Session, version_id: int) -> str:
    return CHUNK_JOIN.join(c.text for c in chunks.list_chunks(session, version_id=version_id))


def _passages(settings: Settings, version_id: int) -> Passages | None:
    """The case's paragraphs and their vectors stored at ingest (None: compared by text only, with a log line)."""
    try:
        return Passages.load(index_dir(settings, version_id))
    except (OSError, ValueError) as exc:
        # Versions ingested before passages were stored have none until they are processed again.
        log.warning("no stored passages for version %s (%s): compared by text only", version_id, exc)
        return None


def _case_text(session: Session, version_id: int, passages: Passages | None) -> CaseText:
    """The case as the search reads it: its text, and its passages with their vectors (None: by text only)."""
    if passages is None:
        return CaseText(str(version_id), _text(session, version_id))
    return CaseText(str(version_id), _text(session, version_id), passages.vectors, passages.texts)


def _compared(session: Session, campaign: Campaign) -> list[DocumentVersion]:
    ids = [c.id for c in duplicates.case_campaigns_up_to(session, campaign_id=campaign.id)]
    return duplicates.latest_ready_cases(session, campaign_ids=ids)


def campaign_duplicates(session: Session, *, campaign: Campaign, settings: Settings) -> list[DuplicateRow]:
    """Pairs of cases found alike where at least one is of this campaign, most alike first, with their verdicts."""
    _check_case_campaign(campaign)
    compared = _compared(session, campaign)
    stored = {v.id: _passages(settings, v.id) for v in compared}
    # Vectors of different embedders are not comparable: use those of the embedder most versions were made with.
    common = Counter(p.embedder for p in stored.values() if p is not None).most_common(1)
    embedder = common[0][0] if common else None
    docs = [
        _case_text(session, v.id, p if p is not None and p.embedder == embedder else None)
        for v, p in ((v, stored[v.id]) for v in compared)
    ]
    by_id = {v.id: v for v in compared}
    marks = duplicates.current_marks(session, campaign_id=campaign.id)
    rows = []
    for pair in find_near_duplicates(docs):
        a, b = sorted((by_id[int(pair.ids[0])], by_id[int(pair.ids[1])]), key=lambda v: v.id)
        if campaign.id not in (a.submission.campaign_id, b.submission.campaign_id):
            continue
        mark = marks.get((a.id, b.id))
        rows.append(
            DuplicateRow(
                _ref(a), _ref(b), pair.containment, pair.alignment, pair.signal, mark.verdict if mark else None
            )
        )
    return rows


def _pair(session: Session, campaign: Campaign, version_a_id: int, version_b_id: int) -> tuple[DocumentVersion, ...]:
    """The two versions, refused (NOT_FOUND) unless both are compared in the campaign and one belongs to it."""
    _check_case_campaign(campaign)
    scope = {c.id for c in duplicates.case_campaigns_up_to(session, campaign_id=campaign.id)}
    pair = tuple(versions.get_version(session, version_id=i) for i in sorted((version_a_id, version_b_id)))
    campaigns_of = {v.submission.campaign_id for v in pair}
    if version_a_id == version_b_id or not campaigns_of <= scope or campaign.id not in campaigns_of:
        raise AppError(
            ErrorCode.NOT_FOUND,
            "这两份案例不在本活动的查重范围内。",
            f"pair {version_a_id},{version_b_id} not in {campaign.id}",
        )
    return pair


def _segments(text: str, spans: list[tuple[int, int]]) -> tuple[Segment, ...]:
    out, at = [], 0
    for start, end in sorted(spans):
        if start > at:
            out.append(Segment(text[at:start], False))
        if end > max(start, at):
            out.append(Segment(text[max(start, at) : end], True))
        at = max(at, end)
    if at < len(text):
        out.append(Segment(text[at:], False))
    return tuple(out)


def _share(text: str, segments: tuple[Segment, ...]) -> float:
    return sum(len(s.text) for s in segments if s.shared) / len(text) if text else 0.0


def pair_view(session: Session, *, campaign: Campaign, version_a_id: int, version_b_id: int) -> PairView:
    """Two cases side by side with the passages they share marked, and the verdicts given on the pair."""
    a, b = _pair(session, campaign, version_a_id, version_b_id)
    text_a, text_b = _text(session, a.id), _text(session, b.id)
    passages = shared_passages(text_a, text_b)
    seg_a = _segments(text_a, [(p.a_start, p.a_end) for p in passages])
    seg_b = _segments(text_b, [(p.b_start, p.b_end) for p in passages])
    marks = duplicates.pair_marks(session, campaign_id=campaign.id, version_a_id=a.id, version_b_id=b.id)
    return PairView(_ref(a), _ref(b), seg_a, seg_b, _share(text_a, seg_a), _share(text_b, seg_b), tuple(marks))


def mark_pair(
    session: Session,
    *,
    campaign: Campaign,
    version_a_id: int,
    version_b_id: int,
    verdict: DuplicateVerdict,
    note: str,
    user_id: int,
) -> DuplicateMark:
    """Record the secretariat's verdict (重复 / 非重复) on a pair, audited."""
    a, b = _pair(session, campaign, version_a_id, version_b_id)
    mark = duplicates.add_mark(
        session,
        campaign_id=campaign.id,
        version_a_id=a.id,
        version_b_id=b.id,
        verdict=verdict,
        note=note.strip(),
        marked_by=user_id,
    )
    audit.record_event(
        session,
        actor_id=user_id,
        action="duplicate.mark",
        object_type="campaign",
        object_id=campaign.id,
        detail=f"versions {a.id},{b.id}: {verdict.value}",
    )
    return mark
