"""Demo data of `ciqa demo`: institutions of each type, one user per role, a campaign, reviewed sample reports.

Running it again creates nothing twice: institutions, users and the campaign are found by name, a
submission's versions by position, and a version is ingested or reviewed only if that has not
succeeded yet. Two ways to run:

* :func:`run_demo` runs the jobs in this process (their flows called directly under a claim on the job
  row), so the data is ready when it returns; the messages the upload published find the jobs finished
  and do nothing.
* :func:`queue_demo` only uploads (seconds): the uploads queue their ingest, each ingest queues its review
  with the campaign's rubric, and the worker of `ciqa serve` runs them, with progress on the jobs.
"""

from __future__ import annotations

import itertools
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from backend.auth.accounts import create_account, create_institution
from backend.auth.passwords import hash_password
from backend.config import Settings
from backend.db.models import Campaign, CampaignQuotas, Institution, JobKind, JobStatus, Role, Submission, User
from backend.db.queries import (
    assignments,
    audit,
    campaigns,
    institutions,
    jobs,
    reviews,
    submissions,
    users,
    versions,
)
from backend.db.session import session_scope, upgrade
from backend.domain.enums import InstitutionType, SubmissionKind
from backend.embedding import build_embedder
from backend.errors import AppError, ErrorCode
from backend.ingest.flows import EmbedderFactory, ingest_version, upload_version
from backend.jobs.progress import JobProgress
from backend.jobs.run import JobRun, JobWork, run_job
from backend.review.flows import run_review_job
from backend.review.operations import request_review
from corpus.generator import SyntheticReport, generate_report
from indexing.embedding import Embedder
from indexing.pipeline import ProgressCallback

DEMO_PAGES = 20
CAMPAIGN_NAME = "2026年质量文化示范校遴选"
CAMPAIGN_RUBRIC = "quality-culture-2026"
CAMPAIGN_QUOTAS = {InstitutionType.RESEARCH: 1, InstitutionType.APPLIED: 1, InstitutionType.VOCATIONAL: 1}
EXPERT_INSTITUTION = "临川师范大学"
FIRST_SEED = 2026
PASSWORD_BYTES = 12
DRAFT_ZH, RECTIFIED_ZH = "初稿", "整改稿"

DemoProgress = Callable[[str, str, int], None]


@dataclass(frozen=True)
class DemoSchool:
    """One demo university: its category, login, the name endings that fit it, and its report's gaps."""

    type: InstitutionType
    username: str
    suffixes: tuple[str, ...]
    region: str
    omit: frozenset[str]
    # Topics still missing in a rectified second version (None: no second version).
    rectified_omit: frozenset[str] | None = None


SCHOOLS = (
    DemoSchool(
        InstitutionType.RESEARCH,
        "research-uni",
        ("工程大学", "医科大学", "农林大学"),
        "华中",
        frozenset({"5.3.1", "5.3.2"}),
    ),
    # The 整改跟踪 example: the first draft lacks most quality-assurance evidence, the rectified one adds it.
    DemoSchool(
        InstitutionType.APPLIED,
        "applied-uni",
        ("理工学院", "科技学院", "财经学院", "师范学院"),
        "华东",
        frozenset({"6.1.2", "6.2.1", "6.2.2", "6.2.3", "6.3.1", "6.3.2", "6.3.3", "7.5.1", "7.5.2"}),
        rectified_omit=frozenset({"7.5.2"}),
    ),
    DemoSchool(InstitutionType.VOCATIONAL, "vocational-uni", ("职业技术大学",), "西南", frozenset({"2.5.1", "2.5.2"})),
)
# Staff logins are named after their role.
STAFF_NAMES_ZH = {
    Role.ADMIN: "系统管理员",
    Role.SECRETARIAT: "CIQA 秘书处",
    Role.EXPERT: f"评审专家（{EXPERT_INSTITUTION}）",
}


@dataclass(frozen=True)
class DemoAccount:
    """A demo login; ``password`` is None for a user that existed and kept its password."""

    username: str
    role: Role
    display_name: str
    institution: str
    password: str | None


@dataclass(frozen=True)
class DemoVersion:
    """A reviewed demo version; ``created`` is False when an earlier run had already made and reviewed it."""

    institution: str
    institution_type: InstitutionType
    label: str
    submission_id: int
    version_id: int
    review_id: int
    pages: int | None
    chunks: int
    materials: int
    questions: int
    created: bool


@dataclass(frozen=True)
class DemoResult:
    """What the demo data set holds."""

    accounts: tuple[DemoAccount, ...]
    campaign_id: int
    campaign_name: str
    versions: tuple[DemoVersion, ...]


@dataclass(frozen=True)
class QueuedVersion:
    """A demo version left to the worker: the job to follow (its ingest, or its review once ingested), and the
    review when an earlier run finished it; ``created`` is True when this run uploaded it or queued its review."""

    institution: str
    institution_type: InstitutionType
    label: str
    submission_id: int
    version_id: int
    job_id: int
    job_kind: JobKind
    job_status: JobStatus
    review_id: int | None
    created: bool


@dataclass(frozen=True)
class QueuedDemo:
    """The demo data set with its sample reports uploaded, their ingest and review queued or done."""

    accounts: tuple[DemoAccount, ...]
    campaign_id: int
    campaign_name: str
    versions: tuple[QueuedVersion, ...]


@dataclass(frozen=True)
class _Draft:
    """A demo version to hold: its submission and position there, and the report it is made from."""

    submission: Submission
    user: User
    position: int
    label: str
    seed: int
    type: InstitutionType
    omit: frozenset[str]

    def report(self, pages: int) -> SyntheticReport:
        """The sample report (generated only when the version is still to be uploaded)."""
        return generate_report(self.seed, pages=pages, omit=self.omit, institution_type=self.type.value)


def school_seed(school: DemoSchool, taken: set[str]) -> tuple[int, str]:
    """The first seed whose generated school name fits the category (a 高职 report from a 职业技术大学)."""
    names = ((seed, generate_report(seed, pages=1).labels.school) for seed in itertools.count(FIRST_SEED))
    return next((seed, name) for seed, name in names if name.endswith(school.suffixes) and name not in taken)


def run_demo(
    settings: Settings,
    *,
    pages: int = DEMO_PAGES,
    reset_passwords: bool = False,
    progress: DemoProgress | None = None,
    embedder_factory: EmbedderFactory = build_embedder,
) -> DemoResult:
    """Migrate the database and create (or complete) the demo data set, reviewing every sample report here."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings)
    embedder: Embedder | None = None

    def shared_embedder(_: Settings) -> Embedder:
        # Loaded once, and only if a report still needs ingest or review.
        nonlocal embedder
        embedder = embedder or embedder_factory(settings)
        return embedder

    with session_scope(settings) as session:
        accounts, campaign, drafts = _prepare(session, reset_passwords)
        done = [
            _reviewed_version(
                session, settings, draft=d, pages=pages, progress=progress, embedder_factory=shared_embedder
            )
            for d in drafts
        ]
        return DemoResult(tuple(accounts), campaign.id, campaign.name, tuple(done))


def queue_demo(settings: Settings, *, pages: int = DEMO_PAGES, reset_passwords: bool = False) -> QueuedDemo:
    """Migrate the database and create (or complete) the demo data set, leaving ingest and review to the worker.

    A missing version is uploaded (its ingest queued, and its review queued by the ingest); a version
    ingested without a review, or whose review failed, gets a new review job. Nothing runs here.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings)
    with session_scope(settings) as session:
        accounts, campaign, drafts = _prepare(session, reset_passwords)
        queued = [_queued_version(session, settings, draft=d, pages=pages) for d in drafts]
        return QueuedDemo(tuple(accounts), campaign.id, campaign.name, tuple(queued))


def _prepare(session: Session, reset_passwords: bool) -> tuple[list[DemoAccount], Campaign, list[_Draft]]:
    """Accounts, institutions, the campaign, submissions and expert assignments (committed), and the versions
    the submissions should hold."""
    accounts: list[DemoAccount] = []
    admin = _staff(session, accounts, Role.ADMIN, None, reset_passwords)
    expert_home = _institution(session, EXPERT_INSTITUTION, InstitutionType.RESEARCH, "华东", admin.id)
    secretariat = _staff(session, accounts, Role.SECRETARIAT, None, reset_passwords)
    campaign = campaigns.find_campaign_by_name(session, name=CAMPAIGN_NAME)
    if campaign is None:
        campaign = campaigns.create_campaign(
            session,
            name=CAMPAIGN_NAME,
            rubric_id=CAMPAIGN_RUBRIC,
            kind=SubmissionKind.SELF_EVALUATION,
            quotas=CampaignQuotas(by_type=CAMPAIGN_QUOTAS),
            created_by=secretariat.id,
        )
    expert = _staff(session, accounts, Role.EXPERT, expert_home.id, reset_passwords)
    session.commit()

    drafts: list[_Draft] = []
    taken: set[str] = set()
    for school in SCHOOLS:
        seed, name = school_seed(school, taken)
        taken.add(name)
        institution = _institution(session, name, school.type, school.region, admin.id)
        user = _account(
            session, accounts, school.username, Role.UNIVERSITY, f"{name}教务处", institution.id, reset_passwords
        )
        submission = _submission(session, institution.id, campaign.id, f"{name}质量文化建设自评报告", user.id)
        assignments.assign_expert(session, expert_id=expert.id, submission_id=submission.id, assigned_by=secretariat.id)
        session.commit()
        labels = [(DRAFT_ZH, school.omit)]
        if school.rectified_omit is not None:
            labels.append((RECTIFIED_ZH, school.rectified_omit))
        drafts += [
            _Draft(submission, user, position, label, seed, school.type, omit)
            for position, (label, omit) in enumerate(labels)
        ]
    return accounts, campaign, drafts


def _institution(session: Session, name: str, type: InstitutionType, region: str, actor_id: int) -> Institution:
    found = institutions.find_institution_by_name(session, name=name)
    return found or create_institution(session, name=name, type=type, region=region, actor_id=actor_id)


def _staff(
    session: Session, accounts: list[DemoAccount], role: Role, institution_id: int | None, reset_password: bool
) -> User:
    return _account(session, accounts, role.value, role, STAFF_NAMES_ZH[role], institution_id, reset_password)


def _account(
    session: Session,
    accounts: list[DemoAccount],
    username: str,
    role: Role,
    display_name: str,
    institution_id: int | None,
    reset_password: bool,
) -> User:
    password: str | None = secrets.token_urlsafe(PASSWORD_BYTES)
    user = users.find_user_by_username(session, username=username)
    if user is None:
        user = create_account(
            session,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            institution_id=institution_id,
            actor_id=None,
        )
    elif reset_password:
        users.set_password_hash(session, user_id=user.id, password_hash=hash_password(password))
        audit.record_event(session, actor_id=None, action="user.password_reset", object_type="user", object_id=user.id)
    else:
        password = None
    institution = (
        institutions.get_institution(session, institution_id=user.institution_id) if user.institution_id else None
    )
    accounts.append(
        DemoAccount(username, user.role, user.display_name, institution.name if institution else "", password)
    )
    return user


def _submission(session: Session, institution_id: int, campaign_id: int, title: str, user_id: int) -> Submission:
    found = submissions.list_submissions(session, institution_id=institution_id, campaign_id=campaign_id)
    if found:
        return found[0]
    return submissions.create_submission(
        session, institution_id=institution_id, title=title, campaign_id=campaign_id, created_by=user_id
    )


def _version(session: Session, settings: Settings, draft: _Draft, pages: int) -> tuple[int, bool]:
    """The draft's version id, uploaded (its ingest queued with the campaign's rubric) if missing; True if uploaded."""
    submission = draft.submission
    existing = versions.list_versions(session, submission_id=submission.id)
    if len(existing) > draft.position:
        return existing[draft.position].id, False
    name = f"{submission.institution.name}自评报告（{draft.label}）.pdf"
    return _upload(session, settings, submission.id, draft.report(pages), name, draft.user.id), True


def _reviewed_version(
    session: Session,
    settings: Settings,
    *,
    draft: _Draft,
    pages: int,
    progress: DemoProgress | None,
    embedder_factory: EmbedderFactory,
) -> DemoVersion:
    """A submission's version at ``position`` (uploaded if missing), ingested and reviewed with the campaign rubric."""
    submission, user, label = draft.submission, draft.user, draft.label
    name = submission.institution.name
    version_id, created = _version(session, settings, draft, pages)
    task = f"{name} {label}"

    ingest = jobs.latest_job(session, kind=JobKind.INGEST, version_id=version_id)
    if ingest is not None and ingest.status is not JobStatus.SUCCEEDED:
        created = True

        def do_ingest(run: JobRun) -> None:
            ingest_version(
                run.session,
                version_id,
                run.settings,
                _both(run, JobKind.INGEST, task + " 入库", progress),
                embedder_factory=embedder_factory,
            )

        _run_here(session, settings, ingest.id, do_ingest)

    record = reviews.latest_review(session, version_id=version_id, rubric_id=CAMPAIGN_RUBRIC)
    if record is None:
        created = True
        pending = [
            j
            for j in jobs.list_jobs(session, version_id=version_id)
            if j.kind is JobKind.REVIEW and j.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        ]
        job = pending[0] if pending else None
        if job is None:
            job = request_review(
                session,
                version_id=version_id,
                rubric_id=CAMPAIGN_RUBRIC,
                drafter=None,
                user_id=user.id,
                settings=settings,
            )

        def do_review(run: JobRun) -> None:
            run_review_job(
                run.session,
                run.job_id,
                run.settings,
                _both(run, JobKind.REVIEW, task + " 评审", progress),
                embedder_factory=embedder_factory,
            )

        _run_here(session, settings, job.id, do_review)
        record = reviews.find_review_for_job(session, job_id=job.id)
        if record is None:
            raise AppError(ErrorCode.CONFLICT, "示例评审未完成。", f"review job {job.id} stored no review")
    version = versions.get_version(session, version_id=version_id)
    return DemoVersion(
        institution=name,
        institution_type=submission.institution.type,
        label=label,
        submission_id=submission.id,
        version_id=version_id,
        review_id=record.id,
        pages=version.pages,
        chunks=version.parse_stats.chunks if version.parse_stats else 0,
        materials=len(record.supplementary_materials),
        questions=len(record.site_visit_questions),
        created=created,
    )


def _queued_version(session: Session, settings: Settings, *, draft: _Draft, pages: int) -> QueuedVersion:
    """A submission's version at ``position`` (uploaded if missing) with the job that brings it to a review."""
    version_id, created = _version(session, settings, draft, pages)
    record = reviews.latest_review(session, version_id=version_id, rubric_id=CAMPAIGN_RUBRIC)
    ingest = jobs.latest_job(session, kind=JobKind.INGEST, version_id=version_id)
    if ingest is None:
        raise AppError(ErrorCode.CONFLICT, "该文件版本没有处理任务。", f"version {version_id} has no ingest job")
    job = ingest
    if ingest.status is JobStatus.SUCCEEDED:
        review = jobs.latest_job(session, kind=JobKind.REVIEW, version_id=version_id, rubric_id=CAMPAIGN_RUBRIC)
        # Ingested by a run that stopped before its review, or the review failed: queue one.
        if record is None and (review is None or review.status is JobStatus.FAILED):
            review = request_review(
                session,
                version_id=version_id,
                rubric_id=CAMPAIGN_RUBRIC,
                drafter=None,
                user_id=draft.user.id,
                settings=settings,
            )
            created = True
        job = review or ingest
    return QueuedVersion(
        institution=draft.submission.institution.name,
        institution_type=draft.submission.institution.type,
        label=draft.label,
        submission_id=draft.submission.id,
        version_id=version_id,
        job_id=job.id,
        job_kind=job.kind,
        job_status=job.status,
        review_id=record.id if record else None,
        created=created,
    )


def _upload(
    session: Session, settings: Settings, submission_id: int, report: SyntheticReport, name: str, user_id: int
) -> int:
    from corpus.writers import write_pdf

    with tempfile.TemporaryDirectory(prefix="ciqa-demo-") as tmp:
        pdf = Path(tmp) / "report.pdf"
        write_pdf(report, pdf)
        data = pdf.read_bytes()
    result = upload_version(
        session, submission_id=submission_id, data=data, original_name=name, user_id=user_id, settings=settings
    )
    return result.version_id


def _both(run: JobRun, kind: JobKind, task: str, progress: DemoProgress | None) -> ProgressCallback:
    """Progress recorded on the job and shown by the demo's bars."""

    def sink(stage: str, percent: int) -> None:
        run.progress(stage, percent)
        if progress is not None:
            progress(task, stage, percent)

    return JobProgress(kind, sink)


def _run_here(session: Session, settings: Settings, job_id: int, work: JobWork) -> None:
    """Run a job in this process through the worker's runner; a job an interrupted demo left running is taken over.

    Raises:
        AppError: the job failed (now or in an earlier run); its reason is recorded on the job.
    """
    # No worker runs during the demo, so any running attempt is one an interrupted demo left behind.
    run_job(None, job_id, work, settings=settings, take_over=True)
    session.expire_all()
    job = jobs.get_job(session, job_id=job_id)
    if job.status is not JobStatus.SUCCEEDED:
        raise AppError(
            ErrorCode.CONFLICT, f"示例任务失败：{job.error_zh or job.status}", f"job {job_id}: {job.error_detail}"
        )
