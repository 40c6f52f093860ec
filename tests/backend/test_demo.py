"""`ciqa demo` data: every role and institution type, reviews with evidence, a comparable rectified version,
and nothing created twice when it runs again; with --background, uploads only, reviewed later by the worker's jobs."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.passwords import verify_password
from backend.cli.demo import account_lines, queued_lines, version_lines
from backend.config import Settings
from backend.db.base import Base
from backend.db.models import JobKind, JobStatus, Role
from backend.db.queries import chunks, institutions, jobs, reviews, users
from backend.db.session import session_scope
from backend.demo import (
    RECTIFIED_ZH,
    DemoAccount,
    DemoResult,
    DemoVersion,
    QueuedDemo,
    QueuedVersion,
    queue_demo,
    run_demo,
)
from backend.domain.enums import InstitutionType
from backend.errors import AppError, ErrorCode
from backend.ingest.flows import run_ingest_job
from backend.jobs.progress import JobProgress
from backend.jobs.run import JobOutcome, JobRun, run_job
from backend.review.flows import run_review_job
from backend.review.operations import compare_versions
from tests.fakes import KeywordEmbedder

# The generator's minimum: every topic's evidence once, about 17 PDF pages.
PAGES = 4


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


@pytest.fixture(autouse=True)
def published(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Messages the uploads would have sent to the broker (the demo runs the jobs itself)."""
    sent: list[int] = []
    monkeypatch.setattr("backend.jobs.enqueue.publish", lambda job_id, kind, settings: sent.append(job_id))
    return sent


def _demo(settings: Settings, **kwargs: object) -> DemoResult:
    return run_demo(settings, pages=PAGES, embedder_factory=lambda s: KeywordEmbedder(), **kwargs)


def _row_counts(session: Session) -> dict[str, int]:
    return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def test_demo_creates_every_role_and_type_with_reviewed_reports(settings: Settings) -> None:
    progress: list[tuple[str, str, int]] = []
    result = _demo(settings, progress=lambda task, stage, pct: progress.append((task, stage, pct)))

    assert {a.role for a in result.accounts} == set(Role)
    assert all(a.password for a in result.accounts)
    with session_scope(settings) as db:
        types = {i.type for i in institutions.list_institutions(db)}
        assert types == set(InstitutionType)
        for account in result.accounts:
            user = users.find_user_by_username(db, username=account.username)
            assert user is not None and verify_password(user.password_hash, account.password or "")
        for v in result.versions:
            review = reviews.load_review(db, review_id=v.review_id)
            quotes = [e.quote for a in review.assessments for p in a.points for e in p.evidence]
            assert quotes, v
            assert all(j.status is JobStatus.SUCCEEDED for j in jobs.list_jobs(db, version_id=v.version_id))
        rectified = next(v for v in result.versions if v.label == RECTIFIED_ZH)
        comparison = compare_versions(db, version_id=rectified.version_id, previous_id=None, settings=settings)
        assert comparison.points
    assert {v.institution_type for v in result.versions} == set(InstitutionType)
    assert {stage for _, stage, _ in progress} >= {"parse", "embed", "index", "match", "draft"}


def test_demo_runs_twice_without_duplicates_and_keeps_passwords(settings: Settings, published: list[int]) -> None:
    first = _demo(settings)
    with session_scope(settings) as db:
        before = _row_counts(db)
    sent = len(published)

    again = _demo(settings)
    with session_scope(settings) as db:
        assert _row_counts(db) == before
        admin = users.find_user_by_username(db, username="admin")
        assert admin is not None and verify_password(admin.password_hash, first.accounts[0].password or "")
    assert len(published) == sent
    assert all(a.password is None for a in again.accounts)
    assert [v.review_id for v in again.versions] == [v.review_id for v in first.versions]
    assert not any(v.created for v in again.versions)

    reset = _demo(settings, reset_passwords=True)
    with session_scope(settings) as db:
        admin = users.find_user_by_username(db, username="admin")
        assert admin is not None and verify_password(admin.password_hash, reset.accounts[0].password or "")
        assert len(jobs.list_jobs(db)) == before["jobs"]


def test_an_interrupted_ingest_is_finished_by_the_next_run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("backend.demo.ingest_version", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _demo(settings)
    monkeypatch.undo()
    monkeypatch.setattr("backend.jobs.enqueue.publish", lambda job_id, kind, settings: None)

    result = _demo(settings)
    with session_scope(settings) as db:
        ingests = [j for v in result.versions for j in jobs.list_jobs(db, version_id=v.version_id)]
        assert all(j.status is JobStatus.SUCCEEDED for j in ingests)
        assert sum(j.kind is JobKind.INGEST for j in ingests) == len(result.versions)


def _worker(settings: Settings, published: list[int]) -> list[JobOutcome]:
    """What the worker of `ciqa serve` does with the messages: run each published job, in order, under run_job
    (an ingest publishes its review)."""

    def work(run: JobRun) -> None:
        if run.job.kind is JobKind.INGEST:
            run_ingest_job(run, embedder_factory=lambda s: KeywordEmbedder())
        else:
            run_review_job(
                run.session,
                run.job_id,
                run.settings,
                JobProgress(JobKind.REVIEW, run.progress),
                embedder_factory=lambda s: KeywordEmbedder(),
            )

    outcomes = []
    while published:
        outcomes.append(run_job(None, published.pop(0), work, settings=settings))
    return outcomes


def test_background_demo_only_uploads_and_the_worker_jobs_review_every_report(
    settings: Settings, published: list[int]
) -> None:
    start = time.perf_counter()
    queued = queue_demo(settings, pages=PAGES)
    seconds = time.perf_counter() - start

    assert seconds < 30  # about 3 s on 2 loaded cores; ingest and review of the four reports take minutes
    assert {a.role for a in queued.accounts} == set(Role) and all(a.password for a in queued.accounts)
    assert {v.institution_type for v in queued.versions} == set(InstitutionType)
    assert [v.job_kind for v in queued.versions] == [JobKind.INGEST] * 4
    assert all(v.job_status is JobStatus.QUEUED and v.review_id is None and v.created for v in queued.versions)
    assert published == [v.job_id for v in queued.versions]
    with session_scope(settings) as db:
        for v in queued.versions:
            assert chunks.count_chunks(db, version_id=v.version_id) == 0
            assert reviews.latest_review(db, version_id=v.version_id, rubric_id=None) is None

    outcomes = _worker(settings, published)

    assert outcomes == [JobOutcome.SUCCEEDED] * 8  # four ingests, then the four reviews they queued
    with session_scope(settings) as db:
        for v in queued.versions:
            ingest = jobs.latest_job(db, kind=JobKind.INGEST, version_id=v.version_id)
            review = jobs.latest_job(db, kind=JobKind.REVIEW, version_id=v.version_id, rubric_id="quality-culture-2026")
            assert ingest is not None and (ingest.stage, ingest.progress) == ("save", 100)
            assert review is not None and (review.stage, review.progress) == ("draft", 100)
            record = reviews.find_review_for_job(db, job_id=review.id)
            assert record is not None
            assert [
                e.quote
                for a in reviews.load_review(db, review_id=record.id).assessments
                for p in a.points
                for e in p.evidence
            ]
        before = _row_counts(db)

    again = queue_demo(settings, pages=PAGES)
    with session_scope(settings) as db:
        assert _row_counts(db) == before
    assert published == []
    assert all(a.password is None for a in again.accounts)
    assert all(v.review_id is not None and not v.created for v in again.versions)
    assert [v.job_kind for v in again.versions] == [JobKind.REVIEW] * 4


def test_background_demo_queues_a_new_review_for_an_ingested_version_whose_review_failed(
    settings: Settings, published: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise AppError(ErrorCode.CONFLICT, "评审失败。", "test")

    monkeypatch.setattr("backend.demo.run_review_job", failing)
    with pytest.raises(AppError):
        _demo(settings)  # stops at the first review, after the first ingest
    published.clear()

    queued = queue_demo(settings, pages=PAGES)

    first, *others = queued.versions
    assert (first.job_kind, first.job_status, first.review_id, first.created) == (
        JobKind.REVIEW,
        JobStatus.QUEUED,
        None,
        True,
    )
    assert [v.job_kind for v in others] == [JobKind.INGEST] * 3
    assert published == [first.job_id] + [v.job_id for v in others]
    assert _worker(settings, published) == [JobOutcome.SUCCEEDED] * 7
    with session_scope(settings) as db:
        assert reviews.find_review_for_job(db, job_id=first.job_id) is not None
        assert all(reviews.latest_review(db, version_id=v.version_id) is not None for v in queued.versions)


def test_demo_prints_every_password_and_id_whole_on_a_narrow_terminal() -> None:
    """A table cut passwords at 80 columns ("m5u9NhJAdWl9K…"); plain soft-wrapped lines never cut what is copied."""
    password = "m5u9NhJAdWl9KqZ3xV7tR2pL8sYw"
    result = DemoResult(
        accounts=(DemoAccount("research-uni", Role.UNIVERSITY, "质量保障办公室", "江淮理工大学", password),),
        campaign_id=1,
        campaign_name="2026年质量文化示范校遴选",
        versions=(
            DemoVersion("江淮理工大学", InstitutionType.RESEARCH, "初稿", 1, 123456, 987654, 20, 40, 3, 2, True),
        ),
    )
    out = io.StringIO()
    queued = QueuedDemo(
        accounts=result.accounts,
        campaign_id=1,
        campaign_name="2026年质量文化示范校遴选",
        versions=(
            QueuedVersion(
                "江淮理工大学",
                InstitutionType.RESEARCH,
                "初稿",
                1,
                123457,
                765432,
                JobKind.INGEST,
                JobStatus.QUEUED,
                None,
                True,
            ),
        ),
    )
    narrow = Console(file=out, width=40)
    for line in [*account_lines(result), *version_lines(result), *queued_lines(queued)]:
        narrow.print(line, markup=False, soft_wrap=True)
    printed = out.getvalue()
    assert password in printed and "…" not in printed
    assert "版本 id 123456" in printed and "评审 id 987654" in printed
    assert "版本 id 123457" in printed and "入库任务 id 765432（排队中）" in printed
