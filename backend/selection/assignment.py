"""Expert assignment: conflict-of-interest rules, a balanced automatic proposal, and applying it.

An expert is never assigned a submission of their own institution or of an institution they declared a conflict
with, nor more submissions of a campaign than its load limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from backend.db.models import Campaign, DocumentRole, Role, Submission, User
from backend.db.queries import assignments, audit, reviews, selection, submissions, users, versions
from backend.errors import AppError, ErrorCode


@dataclass(frozen=True)
class Expert:
    """An expert as the rules see them: their institution and declared conflicts."""

    id: int
    name: str
    institution_id: int | None
    conflicts: frozenset[int]


@dataclass(frozen=True)
class Pair:
    """An expert on a submission."""

    expert_id: int
    submission_id: int


@dataclass(frozen=True)
class Shortfall:
    """A submission that could not get enough experts, and why."""

    submission_id: int
    missing: int


@dataclass(frozen=True)
class Proposal:
    """New pairs to add to the existing assignments, and what could not be filled."""

    pairs: tuple[Pair, ...]
    shortfalls: tuple[Shortfall, ...]


def refusal(expert: Expert, institution_id: int, *, load: int, load_limit: int | None) -> str | None:
    """Why the expert may not review a submission of this institution (None: they may)."""
    if expert.institution_id == institution_id:
        return "利益冲突：专家不能评审本单位的材料。"
    if institution_id in expert.conflicts:
        return "利益冲突：专家已声明与该单位存在利益关系。"
    if load_limit is not None and load >= load_limit:
        return f"该专家在本活动中已分配 {load} 份材料，达到上限 {load_limit} 份。"
    return None


def propose(
    targets: Sequence[tuple[int, int]],
    experts: Sequence[Expert],
    *,
    existing: Iterable[Pair],
    per_submission: int,
    load_limit: int | None,
) -> Proposal:
    """Give each (submission id, institution id) up to ``per_submission`` experts, least-loaded first.

    The submissions with the fewest eligible experts are served first, and among equally loaded experts the one
    fewer of the remaining submissions could use goes first, so that scarce experts stay for where nobody else can
    go; ties go to the lower expert id, so the same inputs give the same proposal.
    """
    have = list(existing)
    load = Counter(p.expert_id for p in have)
    on = {(p.expert_id, p.submission_id) for p in have}
    count = Counter(p.submission_id for p in have)

    def allowed(e: Expert, submission_id: int, institution_id: int) -> bool:
        return (e.id, submission_id) not in on and refusal(e, institution_id, load=0, load_limit=None) is None

    order = sorted(targets, key=lambda t: (sum(allowed(e, *t) for e in experts), t[0]))
    demand = Counter(e.id for t in order for e in experts if allowed(e, *t))
    pairs, shortfalls = [], []
    for submission_id, institution_id in order:
        candidates = [e for e in experts if allowed(e, submission_id, institution_id)]
        for e in candidates:
            demand[e.id] -= 1
        eligible = [e for e in candidates if load_limit is None or load[e.id] < load_limit]
        need = max(per_submission - count[submission_id], 0)
        chosen = sorted(eligible, key=lambda e: (load[e.id], demand[e.id], e.id))[:need]
        for e in chosen:
            pairs.append(Pair(e.id, submission_id))
            load[e.id] += 1
            on.add((e.id, submission_id))
        if need > len(chosen):
            shortfalls.append(Shortfall(submission_id, need - len(chosen)))
    pairs.sort(key=lambda p: (p.submission_id, p.expert_id))
    return Proposal(tuple(pairs), tuple(sorted(shortfalls, key=lambda s: s.submission_id)))


def campaign_experts(session: Session) -> list[Expert]:
    """Every active expert with their declared conflicts."""
    declared: dict[int, set[int]] = {}
    for c in selection.list_conflicts(session):
        declared.setdefault(c.expert_id, set()).add(c.institution_id)
    return [
        Expert(u.id, u.display_name or u.username, u.institution_id, frozenset(declared.get(u.id, ())))
        for u in users.list_users(session, role=Role.EXPERT)
        if u.is_active
    ]


def reviewable(session: Session, *, campaign: Campaign) -> list[Submission]:
    """The campaign's submissions that experts can review: those with an AI review (the board's later statuses)."""
    return [
        s
        for s in submissions.list_submissions(session, campaign_id=campaign.id)
        if any(
            reviews.latest_review(session, version_id=v.id)
            for v in versions.list_versions(session, submission_id=s.id, role=DocumentRole.MAIN)
        )
    ]


def propose_for_campaign(session: Session, *, campaign: Campaign) -> Proposal:
    """The balanced proposal over the campaign's reviewable submissions, on top of its current assignments."""
    existing = [
        Pair(a.expert_id, a.submission_id)
        for a in assignments.list_campaign_assignments(session, campaign_id=campaign.id)
    ]
    targets = [(s.id, s.institution_id) for s in reviewable(session, campaign=campaign)]
    return propose(
        targets,
        campaign_experts(session),
        existing=existing,
        per_submission=campaign.experts_per_submission,
        load_limit=campaign.expert_load_limit,
    )


def assign(session: Session, *, campaign: Campaign, pair: Pair, user_id: int) -> None:
    """Assign an expert to a submission of the campaign if the rules allow it (CONFLICT otherwise)."""
    submission = submissions.get_submission(session, submission_id=pair.submission_id)
    if submission.campaign_id != campaign.id:
        raise AppError(ErrorCode.NOT_FOUND, "材料不存在。", f"submission {submission.id} not in campaign {campaign.id}")
    expert = next((e for e in campaign_experts(session) if e.id == pair.expert_id), None)
    if expert is None:
        raise AppError(ErrorCode.INVALID_INPUT, "只能分配专家评审。", f"user {pair.expert_id} is no active expert")
    if assignments.find_assignment(session, expert_id=expert.id, submission_id=submission.id) is not None:
        return
    load = sum(
        a.expert_id == expert.id for a in assignments.list_campaign_assignments(session, campaign_id=campaign.id)
    )
    reason = refusal(expert, submission.institution_id, load=load, load_limit=campaign.expert_load_limit)
    if reason is not None:
        raise AppError(ErrorCode.CONFLICT, reason, f"expert {expert.id} refused for submission {submission.id}")
    assignments.assign_expert(session, expert_id=expert.id, submission_id=submission.id, assigned_by=user_id)
    audit.record_event(
        session,
        actor_id=user_id,
        action="assignment.create",
        object_type="submission",
        object_id=submission.id,
        detail=f"expert {expert.id}",
    )


def unassign(session: Session, *, campaign: Campaign, pair: Pair, user_id: int) -> None:
    """Withdraw an expert from a submission of the campaign."""
    submission = submissions.get_submission(session, submission_id=pair.submission_id)
    if submission.campaign_id != campaign.id:
        raise AppError(ErrorCode.NOT_FOUND, "材料不存在。", f"submission {submission.id} not in campaign {campaign.id}")
    if assignments.remove_assignment(session, expert_id=pair.expert_id, submission_id=submission.id):
        audit.record_event(
            session,
            actor_id=user_id,
            action="assignment.remove",
            object_type="submission",
            object_id=submission.id,
            detail=f"expert {pair.expert_id}",
        )


def declare_conflicts(session: Session, *, expert: User, institution_ids: Iterable[int], user_id: int) -> None:
    """Replace the institutions an expert declared a conflict of interest with."""
    chosen = sorted(set(institution_ids))
    selection.set_conflicts(session, expert_id=expert.id, institution_ids=chosen)
    audit.record_event(
        session,
        actor_id=user_id,
        action="expert.conflicts",
        object_type="user",
        object_id=expert.id,
        detail=",".join(map(str, chosen)),
    )
