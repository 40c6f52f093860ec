"""The submissions board: every institution of a campaign with where its submission stands, filters, bulk review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import Campaign, Institution, Job, JobKind, JobStatus, ReviewRecord, Role, Submission
from backend.db.queries import (
    assignments,
    audit,
    campaigns,
    expert_reviews,
    institutions,
    jobs,
    selection,
    submissions,
    users,
)
from backend.domain.enums import InstitutionType
from backend.errors import AppError, ErrorCode
from backend.jobs.enqueue import commit_and_enqueue
from backend.workspace import SubmissionState, submission_state


class BoardStatus(StrEnum):
    """Where an institution's submission to a campaign stands."""

    NOT_SUBMITTED = "not_submitted"
    PROCESSING = "processing"
    FAILED = "failed"
    AWAITING_AI = "awaiting_ai"
    AI_REVIEWED = "ai_reviewed"
    EXPERT_REVIEWING = "expert_reviewing"
    REVIEWED = "reviewed"

    @property
    def zh(self) -> str:
        """The status as the secretariat reads it."""
        return BOARD_STATUS_ZH[self]


BOARD_STATUS_ZH = {
    BoardStatus.NOT_SUBMITTED: "未提交",
    BoardStatus.PROCESSING: "处理中",
    BoardStatus.FAILED: "处理失败",
    BoardStatus.AWAITING_AI: "待 AI 初审",
    BoardStatus.AI_REVIEWED: "AI 初审完成",
    BoardStatus.EXPERT_REVIEWING: "专家评审中",
    BoardStatus.REVIEWED: "已评审",
}


def board_status(state: SubmissionState | None, *, assigned: int, submitted: int) -> BoardStatus:
    """The status of a submission (None: the institution has not submitted) from its report's state, the experts
    assigned and the experts who submitted their review."""
    latest = state.latest if state is not None else None
    if latest is None:
        return BoardStatus.NOT_SUBMITTED
    if latest.working:
        return BoardStatus.PROCESSING
    if state is not None and state.latest_review is None:
        return BoardStatus.FAILED if latest.failed else BoardStatus.AWAITING_AI
    if assigned == 0:
        return BoardStatus.AI_REVIEWED
    return BoardStatus.REVIEWED if submitted >= assigned else BoardStatus.EXPERT_REVIEWING


@dataclass(frozen=True)
class BoardRow:
    """One institution on the board: its submission (None: not submitted), status, tags and experts."""

    institution: Institution
    state: SubmissionState | None
    status: BoardStatus
    tags: tuple[str, ...]
    experts: tuple[str, ...]

    @property
    def submission(self) -> Submission | None:
        """The institution's submission to the campaign, if any."""
        return self.state.submission if self.state is not None else None

    @property
    def review(self) -> ReviewRecord | None:
        """The newest AI review of the submission's report."""
        return self.state.latest_review if self.state is not None else None


@dataclass(frozen=True)
class BoardFilter:
    """What the board shows: a status, a category, a tag, a name fragment (None / empty: all)."""

    status: BoardStatus | None = None
    category: InstitutionType | None = None
    tag: str = ""
    name: str = ""

    def keeps(self, row: BoardRow) -> bool:
        """Whether the row passes the filter."""
        return (
            (self.status is None or row.status is self.status)
            and (self.category is None or row.institution.type is self.category)
            and (not self.tag or self.tag in row.tags)
            and (not self.name or self.name in row.institution.name)
        )


def campaign_board(
    session: Session, *, campaign: Campaign, expert_submissions: Mapping[int, int] | None = None
) -> list[BoardRow]:
    """Every institution with its newest submission to the campaign; ``expert_submissions`` maps a submission id to
    how many assigned experts submitted their review (read from the database when not given)."""
    done = (
        expert_submissions
        if expert_submissions is not None
        else expert_reviews.submitted_counts(session, campaign_id=campaign.id)
    )
    newest: dict[int, Submission] = {}
    for s in submissions.list_submissions(session, campaign_id=campaign.id):
        newest[s.institution_id] = s
    tags = selection.campaign_tags(session, campaign_id=campaign.id)
    names = {u.id: u.display_name or u.username for u in users.list_users(session, role=Role.EXPERT)}
    experts: dict[int, list[str]] = {}
    for a in assignments.list_campaign_assignments(session, campaign_id=campaign.id):
        experts.setdefault(a.submission_id, []).append(names.get(a.expert_id, str(a.expert_id)))
    rows = []
    for institution in institutions.list_institutions(session):
        submission = newest.get(institution.id)
        state = submission_state(session, submission) if submission is not None else None
        assigned = tuple(experts.get(submission.id, ())) if submission is not None else ()
        status = board_status(
            state, assigned=len(assigned), submitted=done.get(submission.id, 0) if submission is not None else 0
        )
        rows.append(BoardRow(institution, state, status, tags.get(submission.id, ()) if submission else (), assigned))
    return rows


@dataclass(frozen=True)
class BulkProgress:
    """The campaign's latest bulk review: its job and how many of the reviews it asked for are done."""

    job: Job
    done: int
    total: int
    failed: int

    @property
    def percent(self) -> int:
        """0–100: queueing the reviews is the first tenth, the reviews ending the rest."""
        if self.job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            return self.job.progress // 10
        if self.job.status is JobStatus.FAILED or self.total == 0:
            return 100
        return 10 + 90 * (self.done + self.failed) // self.total

    @property
    def finished(self) -> bool:
        """Queueing ended and every review it asked for ended."""
        return self.job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) and self.done + self.failed >= self.total


def bulk_progress(session: Session, rows: Sequence[BoardRow], *, campaign_id: int) -> BulkProgress | None:
    """Progress of the campaign's latest bulk review over the board's submissions with a report."""
    job = next((j for j in jobs.list_jobs(session, campaign_id=campaign_id) if j.kind is JobKind.REVIEW_CAMPAIGN), None)
    if job is None:
        return None
    done = failed = total = 0
    for row in rows:
        latest = row.state.latest if row.state is not None else None
        if latest is None or latest.version.created_at > job.created_at:
            continue
        total += 1
        review = latest.review
        if review is not None and (not job.rerun or review.created_at >= job.created_at):
            done += 1
        elif latest.job is not None and latest.job.status is JobStatus.FAILED:
            failed += 1
    return BulkProgress(job, done, total, failed)


def request_campaign_review(
    session: Session, *, campaign_id: int, rerun: bool, user_id: int, settings: Settings
) -> Job:
    """Queue one job that queues an AI review of every submission's newest report (again if ``rerun``)."""
    campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
    running = [
        j
        for j in jobs.list_jobs(session, campaign_id=campaign.id)
        if j.kind is JobKind.REVIEW_CAMPAIGN and j.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    ]
    if running:
        raise AppError(
            ErrorCode.CONFLICT, "该活动的批量评审正在进行，请等待完成后再试。", f"campaign job {running[0].id} pending"
        )
    job = jobs.create_job(
        session,
        kind=JobKind.REVIEW_CAMPAIGN,
        campaign_id=campaign.id,
        rubric_id=campaign.rubric_id,
        created_by=user_id,
        rerun=rerun,
    )
    action = "campaign.rerun_reviews" if rerun else "campaign.run_reviews"
    audit.record_event(session, actor_id=user_id, action=action, object_type="campaign", object_id=campaign.id)
    commit_and_enqueue(session, jobs=[job], settings=settings)
    return job


REMIND_ACTION = "campaign.remind"


def remind_missing(session: Session, rows: Sequence[BoardRow], *, campaign: Campaign, user_id: int) -> int:
    """Record a reminder to every institution that has not submitted (the event's detail is the campaign id, which
    the institution's home page reads); returns how many were reminded."""
    missing = [r.institution for r in rows if r.status is BoardStatus.NOT_SUBMITTED]
    for institution in missing:
        audit.record_event(
            session,
            actor_id=user_id,
            action=REMIND_ACTION,
            object_type="institution",
            object_id=institution.id,
            detail=str(campaign.id),
        )
    return len(missing)


@dataclass(frozen=True)
class Reminder:
    """The secretariat's latest reminder to an institution to submit to a campaign."""

    campaign: Campaign
    reminded_at: dt.datetime


def pending_reminders(session: Session, *, institution_id: int, states: Sequence[SubmissionState]) -> list[Reminder]:
    """The latest reminder per campaign to the institution, newest first, for the campaigns it still has no report
    in (``states``: its submissions); a reminder goes away once the report is uploaded."""
    submitted = {s.submission.campaign_id for s in states if s.latest is not None}
    found: dict[int, Reminder] = {}
    for event in audit.list_events(session, object_type="institution", object_id=institution_id, action=REMIND_ACTION):
        # Older reminders recorded the campaign's name, not its id: they name no campaign to link.
        if not event.detail.isdigit() or int(event.detail) in found or int(event.detail) in submitted:
            continue
        campaign = campaigns.find_campaign(session, campaign_id=int(event.detail))
        if campaign is not None:
            found[campaign.id] = Reminder(campaign, event.at)
    return list(found.values())
