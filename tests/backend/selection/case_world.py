"""Case campaigns with real DOCX cases ingested through the real flow: an original, its copy by another school,
an unrelated case, and a copy of a case from an earlier campaign."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from backend import campaigns as campaign_rules
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import CampaignQuotas, Role, Submission
from backend.db.queries import campaigns, institutions, jobs, submissions, users
from backend.domain.enums import InstitutionType, SubmissionKind
from backend.ingest import flows
from backend.jobs import enqueue
from backend.review.flows import run_review_job
from corpus.cases import SyntheticCase, case_docx, generate_case, verbatim_copy
from indexing.embedding import Embedder
from tests.fakes import KeywordEmbedder


@dataclass(frozen=True)
class CaseWorld:
    """Version ids of the cases, the two campaigns, and the universities' user ids."""

    campaign_id: int
    earlier_campaign_id: int
    original: int
    copy: int
    unrelated: int
    earlier: int
    earlier_copy: int
    submissions: dict[str, int]


def file_case(
    db: Session,
    settings: Settings,
    *,
    institution_id: int,
    user_id: int,
    campaign_id: int,
    case: SyntheticCase,
    category: str,
    file_name: str,
    embedder: Embedder | None = None,
) -> tuple[int, int]:
    """An institution's case filed, its DOCX uploaded and ingested (keyword vectors unless an embedder is given);
    returns (version id, submission id)."""
    submission = campaign_rules.create_submission(
        db,
        institution_id=institution_id,
        title=case.title,
        campaign_id=campaign_id,
        user_id=user_id,
        now=utcnow(),
        case=campaign_rules.CaseDetails(category, ("闭环改进", "学生参与")),
    )
    db.commit()
    result = flows.upload_version(
        db,
        submission_id=submission.id,
        data=case_docx(case),
        original_name=file_name,
        user_id=user_id,
        settings=settings,
    )
    flows.ingest_version(db, result.version_id, settings, embedder_factory=lambda s: embedder or KeywordEmbedder())
    db.commit()
    return result.version_id, submission.id


def review_cases(db: Session, settings: Settings, *, version_ids: list[int]) -> None:
    """The AI pre-review of each case version with the case-selection rubric, run as the worker runs it."""
    for version_id in version_ids:
        job = jobs.create_review_job(
            db, version_id=version_id, rubric_id="case-selection", drafter=None, created_by=None
        )
        db.commit()
        run_review_job(db, job.id, settings, embedder_factory=lambda s: KeywordEmbedder())


@dataclass(frozen=True)
class SecondCase:
    """甲学院's second case in the case world's campaign: its submission id and generated case, and the first one."""

    first: Submission
    submission_id: int
    case: SyntheticCase


def file_second_case(db: Session, settings: Settings, cw: CaseWorld) -> SecondCase:
    """The original's institution (甲学院) files a second case; every case is reviewed, 应用型 gets 2 seats."""
    campaign = campaigns.get_campaign(db, campaign_id=cw.campaign_id)
    first = submissions.get_submission(db, submission_id=cw.submissions["original"])
    case = generate_case(14)
    version_id, submission_id = file_case(
        db,
        settings,
        institution_id=first.institution_id,
        user_id=first.created_by,
        campaign_id=campaign.id,
        case=case,
        category="质量保障体系建设",
        file_name="甲学院第二个案例.docx",
    )
    review_cases(db, settings, version_ids=[cw.original, cw.copy, cw.unrelated, cw.earlier_copy, version_id])
    campaign.quotas = CampaignQuotas(by_type={InstitutionType.APPLIED: 2})
    db.commit()
    return SecondCase(first, submission_id, case)


def submit_case(
    db: Session,
    settings: Settings,
    *,
    name: str,
    campaign_id: int,
    case: SyntheticCase,
    category: str,
    embedder: Embedder | None = None,
) -> tuple[int, int]:
    """A new institution named ``name`` files the case; returns (version id, submission id)."""
    institution = institutions.create_institution(db, name=name, type=InstitutionType.APPLIED)
    user = users.create_user(db, username=f"case-{name}", role=Role.UNIVERSITY, institution_id=institution.id)
    return file_case(
        db,
        settings,
        institution_id=institution.id,
        user_id=user.id,
        campaign_id=campaign_id,
        case=case,
        category=category,
        file_name=f"{name}案例.docx",
        embedder=embedder,
    )


def make_case_world(db: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CaseWorld:
    """Two case campaigns (earlier and current) with five ingested cases."""
    import random

    monkeypatch.setattr(enqueue, "publish", lambda job_id, kind, settings: None)
    earlier = campaigns.create_campaign(
        db, name="2025年优秀案例征集", rubric_id="case-selection", kind=SubmissionKind.CASE
    )
    current = campaigns.create_campaign(
        db, name="2026年优秀案例征集", rubric_id="case-selection", kind=SubmissionKind.CASE
    )
    db.commit()
    rng = random.Random(5)
    a, c, d = generate_case(11), generate_case(12), generate_case(13)
    made = {
        "original": submit_case(db, settings, name="甲学院", campaign_id=current.id, case=a, category="质量文化建设"),
        "copy": submit_case(
            db,
            settings,
            name="乙学院",
            campaign_id=current.id,
            case=verbatim_copy(a, rng, "b"),
            category="质量文化建设",
        ),
        "unrelated": submit_case(
            db, settings, name="丙学院", campaign_id=current.id, case=c, category="质量保障体系建设"
        ),
        "earlier": submit_case(
            db, settings, name="丁学院", campaign_id=earlier.id, case=d, category="质量保障体系建设"
        ),
        "earlier_copy": submit_case(
            db,
            settings,
            name="戊学院",
            campaign_id=current.id,
            case=verbatim_copy(d, rng, "e"),
            category="质量保障体系建设",
        ),
    }
    return CaseWorld(
        current.id,
        earlier.id,
        *(made[k][0] for k in ("original", "copy", "unrelated", "earlier", "earlier_copy")),
        submissions={k: v[1] for k, v in made.items()},
    )
