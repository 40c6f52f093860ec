"""Migrations create every table on SQLite and PostgreSQL, round-trip on SQLite, backfill what they add, and keep
what they constrain anew."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import Base, JobKind
from backend.db.queries import campaigns, jobs, reviews, selection, submissions, versions
from backend.db.session import current_revision, get_engine, session_scope, upgrade
from backend.domain.assessment import IndicatorSummary, ReportedFigure, ReviewCounts
from backend.domain.enums import InstitutionType, Mark, SubmissionKind
from tests.backend.service_fixtures import make_tenant
from tests.factories import make_review


def test_migrations_create_all_tables(settings: Settings) -> None:
    tables = set(inspect(get_engine(settings)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_schema_matches_models_after_upgrade(settings: Settings) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with get_engine(settings).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings)
    head = current_revision(settings)
    upgrade_to = head
    from alembic import command

    from backend.db.session import alembic_config

    command.downgrade(alembic_config(settings), "base")
    assert current_revision(settings) is None
    assert set(inspect(get_engine(settings)).get_table_names()) <= {"alembic_version"}
    upgrade(settings)
    assert current_revision(settings) == upgrade_to


@pytest.fixture
def own_settings(backend: str, tmp_path, request: pytest.FixtureRequest) -> Settings:
    """A database of the test's kind migrated to head for this test alone (it is migrated down and up)."""
    if backend == "postgresql":
        return Settings(data_dir=tmp_path, database_url=request.getfixturevalue("own_pg_url"))
    settings = Settings(data_dir=tmp_path)
    upgrade(settings)
    return settings


def _stored_reviews(settings: Settings) -> list[int]:
    figure = ReportedFigure(metric="生师比", value=18.46, unit=":1", text="18.46", chunk_id="c1")
    plain = make_review(document_id="d1", rubric_id="r", level="B", mark=Mark.CLEAR, indicators=2)
    fallback = make_review(document_id="d2", rubric_id="r", indicators=3)
    first = fallback.assessments[0]
    fallback = fallback.model_copy(
        update={
            "assessments": (
                first.model_copy(
                    update={
                        "points": (first.points[0].model_copy(update={"figure": figure, "evidence": ()}),),
                        "draft": first.draft.model_copy(update={"fallback_reason": "模型超时"}),
                    }
                ),
                *fallback.assessments[1:],
            )
        }
    )
    ids = []
    with session_scope(settings) as db:
        tenant = make_tenant(db)
        for n, review in enumerate((plain, fallback)):
            version = versions.create_version(
                db, submission_id=tenant.submission.id, sha256=f"{n}" * 64, original_name="报告.txt", size_bytes=9
            )
            job = jobs.create_job(db, kind=JobKind.REVIEW, version_id=version.id, rubric_id="r")
            ids.append(reviews.save_review(db, job_id=job.id, version_id=version.id, review=review).id)
        db.commit()
    return ids


def _summaries(settings: Settings, review_ids: list[int]) -> list[tuple[ReviewCounts, list[IndicatorSummary]]]:
    with session_scope(settings) as db:
        return [
            (
                reviews.get_review(db, review_id=r).counts,
                [a.summary for a in reviews.list_assessment_summaries(db, review_id=r)],
            )
            for r in review_ids
        ]


def test_upgrade_gives_stored_reviews_the_summaries_the_app_stores(own_settings: Settings) -> None:
    """0006 backfills reviews saved before it exactly as save_review stores new ones."""
    from alembic import command

    from backend.db.session import alembic_config

    review_ids = _stored_reviews(own_settings)
    stored = _summaries(own_settings, review_ids)
    command.downgrade(alembic_config(own_settings), "0005")
    upgrade(own_settings)
    assert _summaries(own_settings, review_ids) == stored
    (counts, _), (_, fallback) = stored
    assert [(m.mark, m.count) for m in counts.marks] == [
        (Mark.CLEAR, 2),
        (Mark.MORE_MATERIAL, 0),
        (Mark.VERIFY_ON_SITE, 0),
    ]
    assert fallback[0].fallback_reason == "模型超时" and fallback[0].points[0].has_figure
    assert (fallback[0].points[0].evidence_count, fallback[1].points[0].evidence_count) == (0, 1)


def test_shortlist_survives_0015_and_seats_two_cases_of_one_institution(own_settings: Settings) -> None:
    """0015 keeps fixed shortlists; after it one institution may hold two seats, one submission still one."""
    from alembic import command

    from backend.db.session import alembic_config

    with session_scope(own_settings) as db:
        tenant = make_tenant(db)
        campaign = campaigns.create_campaign(db, name="案例征集", rubric_id="case-selection", kind=SubmissionKind.CASE)
        second = submissions.create_submission(
            db, institution_id=tenant.institution.id, title="案例二", campaign_id=campaign.id, created_by=tenant.user.id
        )
        ids = (tenant.institution.id, campaign.id, tenant.user.id, tenant.submission.id, second.id)
        db.commit()
    institution_id, campaign_id, user_id, first_id, second_id = ids

    def seat(*submission_ids: int) -> list[selection.ShortlistRow]:
        return [
            selection.ShortlistRow(institution_id, sid, InstitutionType.APPLIED, rank, 0.5, "")
            for rank, sid in enumerate(submission_ids, start=1)
        ]

    command.downgrade(alembic_config(own_settings), "0014")
    with session_scope(own_settings) as db:
        selection.replace_shortlist(db, campaign_id=campaign_id, rows=seat(first_id), fixed_by=user_id, now=utcnow())
        db.commit()
    upgrade(own_settings)
    with session_scope(own_settings) as db:
        assert [e.submission_id for e in selection.list_shortlist(db, campaign_id=campaign_id)] == [first_id]
        rows = seat(first_id, second_id)
        selection.replace_shortlist(db, campaign_id=campaign_id, rows=rows, fixed_by=user_id, now=utcnow())
        db.commit()
        assert [e.submission_id for e in selection.list_shortlist(db, campaign_id=campaign_id)] == [first_id, second_id]
        with pytest.raises(IntegrityError):
            rows = seat(first_id, first_id)
            selection.replace_shortlist(db, campaign_id=campaign_id, rows=rows, fixed_by=user_id, now=utcnow())
