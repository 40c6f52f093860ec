"""Self-evaluation report drafting (自评报告自动生成): start, read, edit sections, export DOCX, finalise."""

from __future__ import annotations

from fastapi.responses import Response

from backend.api.deps import DbSession, SettingsDep, University, load_draft, load_submission
from backend.api.downloads import attachment
from backend.api.routing import Router
from backend.api.schemas import DraftIn, DraftOut, Id, JobOut, SectionEditIn, UploadOut, VersionOut
from backend.db.queries import drafts, jobs, versions
from backend.drafting.flows import docx_name, draft_docx, edit_section, finalise_draft, start_draft

router = Router(tags=["drafting"])
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.post("/submissions/{submission_id}/drafts", status_code=202)
def create_draft(
    submission_id: Id, body: DraftIn, user: University, session: DbSession, settings: SettingsDep
) -> DraftOut:
    """Draft the self-evaluation report from the submission's ready 支撑材料 (a job; poll ``GET /drafts/{id}``)."""
    load_submission(session, user, submission_id)
    started = start_draft(
        session,
        submission_id=submission_id,
        rubric_id=body.rubric_id,
        drafter=body.drafter,
        user_id=user.user_id,
        settings=settings,
    )
    return DraftOut.model_validate(drafts.get_draft(session, draft_id=started.draft_id))


@router.get("/submissions/{submission_id}/drafts")
def list_drafts(submission_id: Id, user: University, session: DbSession) -> list[DraftOut]:
    """The submission's report drafts, newest first."""
    load_submission(session, user, submission_id)
    return [DraftOut.model_validate(d) for d in drafts.list_drafts(session, submission_id=submission_id)]


@router.get("/drafts/{draft_id}")
def get_draft(draft_id: Id, user: University, session: DbSession) -> DraftOut:
    """A draft with its job's progress; ``content`` (chapters, sections, cited sentences, gaps) once drafted."""
    return DraftOut.model_validate(load_draft(session, user, draft_id))


@router.put("/drafts/{draft_id}/sections/{indicator_id}")
def put_section(draft_id: Id, indicator_id: str, body: SectionEditIn, user: University, session: DbSession) -> DraftOut:
    """Replace a section's text with the university's own (empty text: back to the drafted sentences)."""
    record = load_draft(session, user, draft_id)
    edit_section(session, record=record, indicator_id=indicator_id, text=body.text, user_id=user.user_id)
    session.commit()
    return DraftOut.model_validate(record)


@router.get("/drafts/{draft_id}/docx", response_class=Response)
def export_docx(draft_id: Id, user: University, session: DbSession) -> Response:
    """The draft with its edits as a Word document (黑体 headings, 仿宋 body, citations as footnotes)."""
    record = load_draft(session, user, draft_id)
    return attachment(draft_docx(record), docx_name(record), DOCX_TYPE)


@router.post("/drafts/{draft_id}/finalise", status_code=202)
def finalise(draft_id: Id, user: University, session: DbSession, settings: SettingsDep) -> UploadOut:
    """Upload the edited draft as a new report version of the submission: ingested and reviewed like any upload."""
    record = load_draft(session, user, draft_id)
    result = finalise_draft(session, record=record, user_id=user.user_id, settings=settings)
    version, job = (
        versions.get_version(session, version_id=result.version_id),
        jobs.get_job(session, job_id=result.job_id),
    )
    return UploadOut(version=VersionOut.model_validate(version), job=JobOut.model_validate(job), created=result.created)
