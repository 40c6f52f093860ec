"""`ciqa demo` data: every role and institution type, reviews with evidence, a comparable rectified version,
and nothing created twice when it runs again."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.passwords import verify_password
from backend.cli.demo import account_lines, version_lines
from backend.config import Settings
from backend.db.base import Base
from backend.db.models import JobKind, JobStatus, Role
from backend.db.queries import institutions, jobs, reviews, users
from backend.db.session import session_scope
from backend.demo import RECTIFIED_ZH, DemoAccount, DemoResult, DemoVersion, run_demo
from backend.domain.enums import InstitutionType
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
    narrow = Console(file=out, width=40)
    for line in [*account_lines(result), *version_lines(result)]:
        narrow.print(line, markup=False, soft_wrap=True)
    printed = out.getvalue()
    assert password in printed and "…" not in printed
    assert "版本 id 123456" in printed and "评审 id 987654" in printed
