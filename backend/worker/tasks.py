"""Celery tasks: a job id in, one flow call under the job runner (claim, heartbeat, outcome, retry)."""

from __future__ import annotations

from celery import Task, shared_task

from backend.db.models import JobKind
from backend.drafting.flows import run_draft_task
from backend.ingest.flows import run_ingest_job
from backend.jobs.progress import JobProgress
from backend.jobs.run import run_job
from backend.review.flows import run_campaign_job, run_review_job


@shared_task(name="ciqa.ingest", bind=True)
def ingest(self: Task, job_id: int) -> None:
    """Parse, chunk, embed and index the document version of an ingest job."""
    run_job(self, job_id, run_ingest_job)


@shared_task(name="ciqa.review", bind=True)
def review(self: Task, job_id: int) -> None:
    """Review a document version against the job's rubric."""
    run_job(
        self,
        job_id,
        lambda run: run_review_job(run.session, run.job_id, run.settings, JobProgress(JobKind.REVIEW, run.progress)),
    )


@shared_task(name="ciqa.review_campaign", bind=True)
def review_campaign(self: Task, job_id: int) -> None:
    """Review every submission of a campaign."""
    run_job(
        self,
        job_id,
        lambda run: run_campaign_job(
            run.session, run.job_id, run.settings, JobProgress(JobKind.REVIEW_CAMPAIGN, run.progress)
        ),
    )


@shared_task(name="ciqa.draft_report", bind=True)
def draft_report(self: Task, job_id: int) -> None:
    """Draft a self-evaluation report from a submission's supporting files."""
    run_job(self, job_id, run_draft_task)
