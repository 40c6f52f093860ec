"""API fixtures: the app on a migrated SQLite database, a world of two institutions with every role,
bearer-token clients per role, and a recorder instead of the broker (jobs are committed, not run).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.api.main import create_app
from backend.auth.passwords import hash_password
from backend.auth.tokens import issue_token
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import DocumentRole, JobKind, ParseStats, Role, TokenKind
from backend.db.queries import (
    assignments,
    campaigns,
    diagnoses,
    drafts,
    institutions,
    jobs,
    reviews,
    selection,
    submissions,
    users,
    versions,
)
from backend.domain.assessment import DrafterKind
from backend.domain.enums import InstitutionType, Mark, SubmissionKind
from tests.backend.service_fixtures import *  # noqa: F403
from tests.factories import make_report_draft, make_review

RUBRIC_ID = "quality-culture-2026"
PASSWORD = "correct horse battery staple"
# Hashed once: argon2 is deliberately slow, and every test builds a fresh world of users.
PASSWORD_HASH = hash_password(PASSWORD)
ROLES = ("university", "expert", "secretariat", "admin")


@pytest.fixture
def backend() -> str:
    """API tests run on SQLite only (the queries are covered on PostgreSQL by the db tests)."""
    return "sqlite"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, JobKind]]:
    """Task messages the API would have sent to the broker, in order."""
    sent: list[tuple[int, JobKind]] = []
    monkeypatch.setattr("backend.jobs.enqueue.publish", lambda job_id, kind, settings: sent.append((job_id, kind)))
    return sent


@pytest.fixture
def app(settings: Settings, published: list[tuple[int, JobKind]]) -> FastAPI:
    """The API application on the test database."""
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous client."""
    with TestClient(app) as c:
        yield c


def stored_review(
    db: Session,
    *,
    version_id: int,
    level: str = "C",
    mark: Mark = Mark.MORE_MATERIAL,
    indicators: int = 1,
    rubric_id: str = RUBRIC_ID,
) -> tuple[int, int]:
    """Save a review of indicators 1.1 … 1.``indicators`` of a version; returns (review id, first assessment id)."""
    review = make_review(
        document_id=str(version_id), rubric_id=rubric_id, level=level, mark=mark, indicators=indicators
    )
    job = jobs.create_job(db, kind=JobKind.REVIEW, version_id=version_id, rubric_id=rubric_id)
    record = reviews.save_review(db, job_id=job.id, version_id=version_id, review=review)
    db.commit()
    return record.id, record.assessments[0].id


def ready_version(db: Session, *, submission_id: int, content: str) -> tuple[int, int]:
    """A version marked ready with its (succeeded-looking) ingest job; returns (version id, job id)."""
    sha = uuid.uuid5(uuid.NAMESPACE_OID, content).hex * 2
    version = versions.create_version(
        db, submission_id=submission_id, sha256=sha, original_name="报告.txt", size_bytes=9
    )
    job = jobs.create_job(db, kind=JobKind.INGEST, version_id=version.id)
    stats = ParseStats(blocks=1, chunks=1, chars=9, tables=0)
    versions.mark_version_ready(db, version_id=version.id, media_type="text/plain", pages=None, stats=stats)
    db.commit()
    return version.id, job.id


def stored_draft(db: Session, *, submission_id: int, content: str, user_id: int) -> int:
    """A ready supporting file and a report draft made from it (its job succeeded-looking); returns the draft id."""
    sha = uuid.uuid5(uuid.NAMESPACE_OID, content).hex * 2
    version = versions.create_version(
        db,
        submission_id=submission_id,
        sha256=sha,
        original_name="质量年报.pdf",
        size_bytes=9,
        role=DocumentRole.SUPPORTING,
    )
    stats = ParseStats(blocks=1, chunks=1, chars=9, tables=0)
    versions.mark_version_ready(db, version_id=version.id, media_type="application/pdf", pages=3, stats=stats)
    job = jobs.create_job(db, kind=JobKind.DRAFT_REPORT, rubric_id=RUBRIC_ID, created_by=user_id)
    record = drafts.create_draft(
        db,
        submission_id=submission_id,
        job_id=job.id,
        rubric_id=RUBRIC_ID,
        drafter=DrafterKind.EXTRACTIVE,
        created_by=user_id,
    )
    drafts.save_content(db, draft_id=record.id, content=make_report_draft())
    db.commit()
    return record.id


def failed_version(db: Session, *, submission_id: int, content: str, reason: str = "文件已损坏，无法读取。") -> int:
    """A version whose ingest job failed (through the same query the job runner uses); returns its id."""
    sha = uuid.uuid5(uuid.NAMESPACE_OID, content).hex * 2
    version = versions.create_version(
        db, submission_id=submission_id, sha256=sha, original_name="损坏.docx", size_bytes=9
    )
    job = jobs.create_job(db, kind=JobKind.INGEST, version_id=version.id)
    db.commit()
    now = utcnow()
    jobs.claim_job(db, job_id=job.id, token="t", now=now, stale_before=now)
    jobs.fail_job(db, job_id=job.id, token="t", error_code="bad_file", error_zh=reason, error_detail="", now=now)
    db.commit()
    return version.id


@dataclass
class Side:
    """One institution's objects: what is 'own' for its users and its assigned expert."""

    institution_id: int
    submission_id: int
    version_id: int
    version2_id: int
    job_id: int
    review_id: int
    assessment_id: int
    failed_version_id: int
    draft_id: int = 0
    diagnosis_id: int = 0


@dataclass
class World:
    """Two institutions (``own`` and ``other``), one user per role, a campaign; tokens per role."""

    own: Side
    other: Side
    campaign_id: int
    user_ids: dict[str, int]
    usernames: dict[str, str]
    tokens: dict[str, str]
    spare_expert_id: int
    extra: dict[str, int] = field(default_factory=dict)


def _side(db: Session, name: str, campaign_id: int, type: InstitutionType) -> tuple[Side, int]:
    institution = institutions.create_institution(db, name=name, type=type)
    user = users.create_user(
        db,
        username=f"uni-{institution.id}",
        role=Role.UNIVERSITY,
        institution_id=institution.id,
        password_hash=PASSWORD_HASH,
    )
    submission = submissions.create_submission(
        db, institution_id=institution.id, title=f"{name}自评报告", campaign_id=campaign_id, created_by=user.id
    )
    db.commit()
    version_id, job_id = ready_version(db, submission_id=submission.id, content=f"{name}-1")
    version2_id, _ = ready_version(db, submission_id=submission.id, content=f"{name}-2")
    review_id, assessment_id = stored_review(db, version_id=version_id)
    stored_review(db, version_id=version2_id, level="B", mark=Mark.CLEAR)
    failed_id = failed_version(db, submission_id=submission.id, content=f"{name}-failed")
    draft_id = stored_draft(db, submission_id=submission.id, content=f"{name}-supporting", user_id=user.id)
    diagnosis = diagnoses.create_diagnosis(
        db, institution_id=institution.id, rubric_id=RUBRIC_ID, rubric_version="1.0", title="诊断", created_by=user.id
    )
    side = Side(
        institution.id,
        submission.id,
        version_id,
        version2_id,
        job_id,
        review_id,
        assessment_id,
        failed_id,
        draft_id,
        diagnosis.id,
    )
    return side, user.id


@pytest.fixture
def world(db: Session, settings: Settings) -> World:
    """Institutions 'own' (assigned to the expert) and 'other', every role, bearer tokens for each."""
    campaign = campaigns.create_campaign(
        db, name="质量文化示范校遴选", rubric_id=RUBRIC_ID, kind=SubmissionKind.SELF_EVALUATION
    )
    own, own_uni = _side(db, "甲大学", campaign.id, InstitutionType.APPLIED)
    other, other_uni = _side(db, "乙大学", campaign.id, InstitutionType.APPLIED)
    employer = institutions.create_institution(db, name="丙大学", type=InstitutionType.RESEARCH)
    made = {
        name: users.create_user(db, username=name, role=role, institution_id=inst, password_hash=PASSWORD_HASH).id
        for name, role, inst in (
            ("expert", Role.EXPERT, employer.id),
            ("secretariat", Role.SECRETARIAT, None),
            ("admin", Role.ADMIN, None),
            ("spare-expert", Role.EXPERT, None),
        )
    }
    assignments.assign_expert(db, expert_id=made["expert"], submission_id=own.submission_id)
    user_ids = {"university": own_uni, "other-university": other_uni, **made}
    tokens = {
        r: issue_token(db, user_id=user_ids[r], kind=TokenKind.API, ttl_s=3600, now=utcnow()).token for r in ROLES
    }
    db.commit()
    names = {r: users.get_user(db, user_id=i).username for r, i in user_ids.items()}
    return World(own, other, campaign.id, user_ids, names, tokens, made["spare-expert"])


def bearer(world: World, role: str) -> dict[str, str]:
    """The Authorization header of a role's API token."""
    return {"Authorization": f"Bearer {world.tokens[role]}"}


@dataclass(frozen=True)
class CaseCampaign:
    """A case campaign with a ready case of each side (no text: no pair is found) and a fixed shortlist."""

    campaign_id: int
    own_version_id: int
    other_version_id: int


@pytest.fixture
def case_campaign(db: Session, world: World) -> CaseCampaign:
    """A case campaign where each side filed a case; the own side's is on the fixed shortlist."""
    campaign = campaigns.create_campaign(db, name="优秀案例征集", rubric_id="case-selection", kind=SubmissionKind.CASE)
    made = []
    for side, author in ((world.own, "university"), (world.other, "other-university")):
        submission = submissions.create_submission(
            db,
            institution_id=side.institution_id,
            title=f"案例{side.institution_id}",
            campaign_id=campaign.id,
            created_by=world.user_ids[author],
        )
        db.commit()
        made.append((submission.id, ready_version(db, submission_id=submission.id, content=f"案例{submission.id}")[0]))
    row = selection.ShortlistRow(world.own.institution_id, made[0][0], InstitutionType.APPLIED, 1, 0.8, "")
    selection.replace_shortlist(
        db, campaign_id=campaign.id, rows=[row], fixed_by=world.user_ids["secretariat"], now=utcnow()
    )
    db.commit()
    return CaseCampaign(campaign.id, made[0][1], made[1][1])
