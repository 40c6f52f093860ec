"""Queries and the rules the schema enforces: uniqueness, conflict of interest, append-only audit,
UTC timestamps, job claims, and reviews that never touch expert decisions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.db.models import (
    Assignment,
    AuditEvent,
    DecisionAction,
    ExpertDecision,
    JobKind,
    JobStatus,
    ParseStats,
    Role,
    VersionStatus,
)
from backend.db.queries import assignments, audit, decisions, jobs, reviews, users, versions
from backend.domain import assessment as rm
from backend.domain.enums import Mark
from backend.errors import AppError, ErrorCode
from tests.backend.service_fixtures import Tenant, make_tenant

SHA = "ab" * 32


def _review(level: str = "B", point_mark: Mark = Mark.CLEAR) -> rm.Review:
    signals = rm.PointSignals(best_dense=0.8, best_bm25=5.0, term_coverage=0.8, concrete=0.5)
    point = rm.PointAssessment(
        point_id="4.1.1", point_text="生师比", mark=point_mark, signals=signals, rationale_zh="有数据"
    )
    assessment = rm.IndicatorAssessment(
        indicator_id="4.1",
        indicator_name="师资队伍",
        level=level,
        level_label="较充分",
        confidence=0.7,
        points=(point,),
        rationale_zh="有做法有数据",
        draft=rm.DraftInfo(drafter=rm.DrafterKind.EXTRACTIVE, version="1"),
    )
    return rm.Review(
        document_id=SHA,
        document_name="报告.pdf",
        rubric_id="mini-audit",
        rubric_version="1.0",
        rubric_fingerprint="f" * 64,
        assessments=(assessment,),
        supplementary_materials=(rm.ChecklistItem(indicator_id="4.1", point_id="4.1.1", text_zh="补充"),),
    )


def _version(db: Session, tenant: Tenant, sha: str = SHA) -> int:
    version = versions.create_version(
        db, submission_id=tenant.submission.id, sha256=sha, original_name="报告.pdf", size_bytes=10
    )
    db.commit()
    return version.id


def test_same_bytes_in_one_submission_are_one_version(db: Session, tenant: Tenant) -> None:
    _version(db, tenant)
    with pytest.raises(IntegrityError):
        _version(db, tenant)
    db.rollback()
    assert versions.find_version(db, submission_id=tenant.submission.id, sha256=SHA) is not None


def test_timestamps_are_utc_aware(db: Session, tenant: Tenant) -> None:
    version = versions.get_version(db, version_id=_version(db, tenant))
    db.expire_all()
    version = versions.get_version(db, version_id=version.id)
    assert version.created_at.tzinfo is not None
    assert version.created_at.utcoffset() == dt.timedelta(0)
    assert version.status is VersionStatus.UPLOADED


def test_expert_cannot_be_assigned_to_own_institution(db: Session, tenant: Tenant) -> None:
    own = users.create_user(
        db, username=f"e-{tenant.user.username}", role=Role.EXPERT, institution_id=tenant.institution.id
    )
    other = make_tenant(db)
    outsider = users.create_user(
        db, username=f"x-{tenant.user.username}", role=Role.EXPERT, institution_id=other.institution.id
    )
    with pytest.raises(AppError) as err:
        assignments.assign_expert(db, expert_id=own.id, submission_id=tenant.submission.id)
    assert err.value.code is ErrorCode.CONFLICT
    first = assignments.assign_expert(db, expert_id=outsider.id, submission_id=tenant.submission.id)
    again = assignments.assign_expert(db, expert_id=outsider.id, submission_id=tenant.submission.id)
    assert first.id == again.id
    db.commit()
    # The database refuses the conflict even when the query layer is bypassed.
    db.add(
        Assignment(
            expert_id=own.id,
            expert_institution_id=tenant.institution.id,
            submission_id=tenant.submission.id,
            submission_institution_id=tenant.institution.id,
        )
    )
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_university_user_needs_an_institution(db: Session) -> None:
    with pytest.raises(AppError):
        users.create_user(db, username="nobody-uni", role=Role.UNIVERSITY)


def test_audit_events_are_append_only(db: Session, tenant: Tenant) -> None:
    event = audit.record_event(
        db, actor_id=tenant.user.id, action="version.upload", object_type="document_version", object_id=1
    )
    db.commit()
    with pytest.raises(DBAPIError):
        db.execute(update(AuditEvent).where(AuditEvent.id == event.id).values(action="tampered"))
    db.rollback()
    with pytest.raises(DBAPIError):
        db.delete(event)
        db.flush()
    db.rollback()
    assert next(e.action for e in audit.list_events(db, object_type="document_version", object_id=1)) == (
        "version.upload"
    )


def test_job_claim_is_exclusive_and_token_guarded(db: Session, tenant: Tenant) -> None:
    job = jobs.create_job(db, kind=JobKind.INGEST, version_id=_version(db, tenant))
    db.commit()
    now = utcnow()
    stale_before = now - dt.timedelta(seconds=60)
    assert jobs.claim_job(db, job_id=job.id, token="a", now=now, stale_before=stale_before) is not None
    assert jobs.claim_job(db, job_id=job.id, token="b", now=now, stale_before=stale_before) is None
    assert not jobs.set_progress(db, job_id=job.id, token="b", stage="parse", progress=10, now=now)
    assert jobs.set_progress(db, job_id=job.id, token="a", stage="parse", progress=10, now=now)
    # The holder dies: once its heartbeat is stale the job can be re-queued and claimed again.
    later = now + dt.timedelta(seconds=120)
    requeued = jobs.requeue_stale_jobs(
        db, stale_before=later - dt.timedelta(seconds=60), expired_before=later - dt.timedelta(hours=6)
    )
    assert [j.id for j in requeued] == [job.id]
    claimed = jobs.claim_job(db, job_id=job.id, token="c", now=later, stale_before=stale_before)
    assert claimed is not None and claimed.attempts == 2
    assert not jobs.finish_job(db, job_id=job.id, token="a", now=later)
    assert jobs.finish_job(db, job_id=job.id, token="c", now=later)
    db.commit()
    assert jobs.get_job(db, job_id=job.id).status is JobStatus.SUCCEEDED
    assert jobs.claim_job(db, job_id=job.id, token="d", now=later, stale_before=later) is None


def test_failing_an_ingest_job_fails_its_version_in_the_same_transaction(db: Session, tenant: Tenant) -> None:
    now = utcnow()
    processing = _version(db, tenant)
    versions.set_version_status(db, version_id=processing, status=VersionStatus.PROCESSING)
    ready = _version(db, tenant, sha="cd" * 32)
    stats = ParseStats(blocks=1, chunks=1, chars=1, tables=0)
    versions.mark_version_ready(db, version_id=ready, media_type="text/plain", pages=None, stats=stats)
    ingest = jobs.create_job(db, kind=JobKind.INGEST, version_id=processing)
    late_ingest = jobs.create_job(db, kind=JobKind.INGEST, version_id=ready)
    review = jobs.create_review_job(db, version_id=ready, rubric_id="r", drafter=None, created_by=None)
    db.commit()
    for job in (ingest, late_ingest, review):
        assert jobs.claim_job(db, job_id=job.id, token=f"t{job.id}", now=now, stale_before=now) is not None
    assert not jobs.fail_job(
        db, job_id=ingest.id, token="someone else", error_code="x", error_zh="别人的", error_detail="", now=now
    )
    assert versions.get_version(db, version_id=processing).status is VersionStatus.PROCESSING
    for job in (ingest, late_ingest, review):
        assert jobs.fail_job(
            db, job_id=job.id, token=f"t{job.id}", error_code="x", error_zh="文件损坏。", error_detail="", now=now
        )
    db.commit()
    db.expire_all()
    failed = versions.get_version(db, version_id=processing)
    assert (failed.status, failed.error_zh) == (VersionStatus.FAILED, "文件损坏。")
    # A version already ready stays ready (and a failed review never touches its version).
    still = versions.get_version(db, version_id=ready)
    assert (still.status, still.error_zh) == (VersionStatus.READY, None)


def test_deleted_version_is_hidden_and_reopened_by_its_bytes(db: Session, tenant: Tenant) -> None:
    gone, kept = _version(db, tenant), _version(db, tenant, sha="cd" * 32)
    for version_id in (gone, kept):
        jobs.create_job(db, kind=JobKind.INGEST, version_id=version_id)
    db.commit()
    assert not versions.reopen_version(db, version_id=gone, original_name="x")  # live and not failed
    versions.delete_version(db, version_id=gone, now=utcnow())
    db.commit()
    assert [v.id for v in versions.list_versions(db, submission_id=tenant.submission.id)] == [kept]
    with pytest.raises(AppError) as missing:
        versions.get_version(db, version_id=gone)
    assert missing.value.code is ErrorCode.NOT_FOUND
    assert versions.previous_version(db, version_id=kept) is None
    # The row and its jobs stay: its id is never handed to another version.
    assert len(jobs.list_jobs(db, version_id=gone)) == 1
    assert versions.find_version(db, submission_id=tenant.submission.id, sha256=SHA).id == gone
    assert versions.reopen_version(db, version_id=gone, original_name="再次上传.pdf")
    assert not versions.reopen_version(db, version_id=gone, original_name="并发上传.pdf")
    db.commit()
    back = versions.get_version(db, version_id=gone)
    assert (back.status, back.original_name) == (VersionStatus.UPLOADED, "再次上传.pdf")


def test_review_is_saved_once_per_job(db: Session, tenant: Tenant) -> None:
    version_id = _version(db, tenant)
    job = jobs.create_job(db, kind=JobKind.REVIEW, version_id=version_id, rubric_id="mini-audit")
    first = reviews.save_review(db, job_id=job.id, version_id=version_id, review=_review())
    again = reviews.save_review(db, job_id=job.id, version_id=version_id, review=_review(level="D"))
    db.commit()
    assert first.id == again.id
    assert len(reviews.list_reviews(db, version_id=version_id)) == 1
    loaded = reviews.load_review(db, review_id=first.id)
    assert loaded.assessments[0].level == "B"
    assert loaded.supplementary_materials[0].text_zh == "补充"


def test_re_review_never_touches_expert_decisions(db: Session, tenant: Tenant) -> None:
    version_id = _version(db, tenant)
    expert = users.create_user(db, username=f"exp-{tenant.user.username}", role=Role.EXPERT)
    job1 = jobs.create_job(db, kind=JobKind.REVIEW, version_id=version_id, rubric_id="mini-audit")
    old = reviews.save_review(db, job_id=job1.id, version_id=version_id, review=_review())
    old_assessment = old.assessments[0]
    edit = decisions.add_decision(
        db,
        assessment_id=old_assessment.id,
        reviewer_id=expert.id,
        action=DecisionAction.EDIT,
        point_id="4.1.1",
        final_mark=Mark.VERIFY_ON_SITE,
        comment="需入校核实",
    )
    decisions.add_decision(
        db, assessment_id=old_assessment.id, reviewer_id=expert.id, action=DecisionAction.ACCEPT, final_level="B"
    )
    db.commit()
    before = [
        (d.id, d.assessment_id, d.point_id, d.action, d.final_mark, d.final_level, d.comment)
        for d in decisions.list_decisions(db, assessment_id=old_assessment.id)
    ]

    job2 = jobs.create_job(db, kind=JobKind.REVIEW, version_id=version_id, rubric_id="mini-audit")
    new = reviews.save_review(
        db, job_id=job2.id, version_id=version_id, review=_review(level="C", point_mark=Mark.MORE_MATERIAL)
    )
    db.commit()
    db.expire_all()

    assert new.id != old.id
    assert reviews.latest_review(db, version_id=version_id).id == new.id
    after = [
        (d.id, d.assessment_id, d.point_id, d.action, d.final_mark, d.final_level, d.comment)
        for d in decisions.list_decisions(db, assessment_id=old_assessment.id)
    ]
    assert after == before
    assert decisions.list_decisions(db, assessment_id=new.assessments[0].id) == []
    assert reviews.get_assessment(db, assessment_id=old_assessment.id).level == "B"
    assert decisions.decided_indicator_ids(db, version_id=version_id, rubric_id="mini-audit") == {"4.1"}
    assert {d.id for d in decisions.current_decisions(db, review_id=old.id)} == {d[0] for d in before}
    assert edit.final_mark is Mark.VERIFY_ON_SITE
    assert db.get(ExpertDecision, edit.id).final_mark is Mark.VERIFY_ON_SITE


def test_decision_on_unknown_point_is_refused(db: Session, tenant: Tenant) -> None:
    version_id = _version(db, tenant)
    expert = users.create_user(db, username=f"exq-{tenant.user.username}", role=Role.EXPERT)
    job = jobs.create_job(db, kind=JobKind.REVIEW, version_id=version_id, rubric_id="mini-audit")
    record = reviews.save_review(db, job_id=job.id, version_id=version_id, review=_review())
    with pytest.raises(AppError):
        decisions.add_decision(
            db,
            assessment_id=record.assessments[0].id,
            reviewer_id=expert.id,
            action=DecisionAction.REJECT,
            point_id="9.9.9",
        )
