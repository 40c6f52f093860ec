"""Submissions, uploaded versions and job status."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, UploadFile

from backend import campaigns as campaign_rules
from backend.api.deps import DbSession, Readers, SettingsDep, University, load_job, load_submission, load_version
from backend.api.routing import Router
from backend.api.schemas import (
    ConsistencyCheckOut,
    FactOut,
    Id,
    JobOut,
    SubmissionIn,
    SubmissionOut,
    UploadOut,
    VersionOut,
)
from backend.auth.access import visible_submissions
from backend.db.base import utcnow
from backend.db.models import DocumentRole
from backend.db.queries import facts, jobs, versions
from backend.ingest.flows import delete_failed_version, upload_version
from backend.review.operations import submission_consistency

router = Router(tags=["submissions"])


@router.post("/submissions", status_code=201)
def create_submission(body: SubmissionIn, user: University, session: DbSession) -> SubmissionOut:
    """Create a submission of the user's own institution (standalone, or to a campaign before its deadline)."""
    submission = campaign_rules.create_submission(
        session,
        institution_id=user.institution_id,
        title=body.title,
        campaign_id=body.campaign_id,
        user_id=user.user_id,
        now=utcnow(),
        case=campaign_rules.CaseDetails(body.case_category, tuple(dict.fromkeys(body.theme_tags))),
    )
    return SubmissionOut.model_validate(submission)


@router.get("/submissions")
def list_submissions(user: Readers, session: DbSession, campaign_id: Id | None = None) -> list[SubmissionOut]:
    """The submissions the user may see (own institution, assigned, or all for the secretariat)."""
    return [SubmissionOut.model_validate(s) for s in visible_submissions(session, user, campaign_id=campaign_id)]


@router.get("/submissions/{submission_id}")
def get_submission(submission_id: Id, user: Readers, session: DbSession) -> SubmissionOut:
    """One submission."""
    return SubmissionOut.model_validate(load_submission(session, user, submission_id))


@router.get("/submissions/{submission_id}/versions")
def list_versions(submission_id: Id, user: Readers, session: DbSession) -> list[VersionOut]:
    """The uploaded versions of a submission, oldest first."""
    load_submission(session, user, submission_id)
    return [VersionOut.model_validate(v) for v in versions.list_versions(session, submission_id=submission_id)]


@router.post("/submissions/{submission_id}/versions", status_code=202)
def upload(
    submission_id: Id,
    file: UploadFile,
    user: University,
    session: DbSession,
    settings: SettingsDep,
    rubric_id: Annotated[str | None, Form(min_length=1, max_length=100)] = None,
    role: Annotated[DocumentRole, Form()] = DocumentRole.MAIN,
) -> UploadOut:
    """Upload a file (multipart field ``file``): stored by sha256, then its ingest job is queued.

    Once processed, a main report (``role=main``, the default) is reviewed automatically with ``rubric_id``
    (optional form field, see ``GET /api/rubrics``) or else the campaign's rubric; the review job appears under
    ``/versions/{id}/jobs``. A supporting file (``role=supporting``, 支撑材料) is processed but not reviewed.
    """
    load_submission(session, user, submission_id)
    result = upload_version(
        session,
        submission_id=submission_id,
        data=file.file.read(),
        original_name=file.filename or "",
        user_id=user.user_id,
        settings=settings,
        rubric_id=rubric_id,
        role=role,
    )
    version, job = (
        versions.get_version(session, version_id=result.version_id),
        jobs.get_job(session, job_id=result.job_id),
    )
    return UploadOut(version=VersionOut.model_validate(version), job=JobOut.model_validate(job), created=result.created)


@router.get("/versions/{version_id}")
def get_version(version_id: Id, user: Readers, session: DbSession) -> VersionOut:
    """One version with its ingest status (and, if it failed, the reason in Chinese)."""
    return VersionOut.model_validate(load_version(session, user, version_id))


@router.get("/versions/{version_id}/jobs")
def list_version_jobs(version_id: Id, user: Readers, session: DbSession) -> list[JobOut]:
    """A version's jobs, newest first: its ingest and the reviews queued for it, with stage and progress."""
    load_version(session, user, version_id)
    return [JobOut.model_validate(j) for j in jobs.list_jobs(session, version_id=version_id)]


@router.delete("/versions/{version_id}", status_code=204)
def delete_version(version_id: Id, user: University, session: DbSession, settings: SettingsDep) -> None:
    """Delete a version of the user's own submission whose processing failed, to upload the file again."""
    load_version(session, user, version_id)
    delete_failed_version(session, version_id=version_id, user_id=user.user_id, settings=settings)


@router.get("/versions/{version_id}/facts")
def list_facts(version_id: Id, user: Readers, session: DbSession) -> list[FactOut]:
    """The figures a version reports, each with its table cell or sentence, in document order."""
    version = load_version(session, user, version_id)
    return [FactOut.model_validate(f, from_attributes=True) for f in facts.list_facts(session, version_id=version.id)]


@router.get("/submissions/{submission_id}/consistency")
def consistency(
    submission_id: Id, user: Readers, session: DbSession, settings: SettingsDep
) -> list[ConsistencyCheckOut]:
    """Figures of the report, the supporting files and the state data compared: conflicts first, then 无法比对,
    一致 and the rubric metrics no file states (缺失)."""
    load_submission(session, user, submission_id)
    result = submission_consistency(session, submission_id=submission_id, settings=settings)
    return [ConsistencyCheckOut.of(c) for c in result.checks]


@router.get("/jobs/{job_id}")
def get_job(job_id: Id, user: Readers, session: DbSession) -> JobOut:
    """A job's status, stage and progress."""
    return JobOut.model_validate(load_job(session, user, job_id))
