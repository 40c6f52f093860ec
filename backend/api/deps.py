"""Request dependencies: settings, a database session per request, the signed-in user, role guards,
and loaders that return an object or raise NOT_FOUND when it is absent or belongs to another tenant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import anyio
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from backend.api.conditional import AcceptEncoding, ConditionalRead, IfNoneMatch, accepts_gzip
from backend.auth import access
from backend.auth.tokens import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, Principal, authenticate
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import (
    AssessmentRecord,
    Diagnosis,
    DocumentVersion,
    DraftRecord,
    Job,
    JobKind,
    ReviewRecord,
    Role,
    Submission,
)
from backend.db.queries import diagnoses, drafts, jobs, reviews, submissions, versions
from backend.db.session import session_factory, session_scope
from backend.errors import AppError, ErrorCode

T = TypeVar("T")


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with (async: no worker thread for reading an attribute)."""
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_conditional(
    request: Request, if_none_match: IfNoneMatch = None, accept_encoding: AcceptEncoding = None
) -> ConditionalRead:
    """The app's bodies rendered once per ETag, with the client's copy and whether it takes gzip."""
    return ConditionalRead(request.app.state.rendered, if_none_match, accepts_gzip(accept_encoding))


Conditional = Annotated[ConditionalRead, Depends(get_conditional)]


async def get_db(settings: SettingsDep) -> AsyncIterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back when it raises."""
    # async: opening a session does no I/O, so it needs no hop to a worker thread (a sync generator takes one in and
    # one out). Everything that may touch a connection — commit, rollback, close — runs on a worker thread: a pooled
    # connection is never awaited on the event loop (see current_user).
    # The end runs outside the shared thread limit (a limiter of its own, as FastAPI ends sync dependencies): with
    # every worker thread waiting for a pooled connection, the sessions holding them must still be able to close.
    session = session_factory(settings)()
    try:
        yield session
        await anyio.to_thread.run_sync(_commit_and_close, session, limiter=anyio.CapacityLimiter(1))
    except BaseException:
        await anyio.to_thread.run_sync(_roll_back_and_close, session, limiter=anyio.CapacityLimiter(1))
        raise


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _roll_back_and_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


# scope="function": the commit runs before the response is sent, so a failed commit is the response.
DbSession = Annotated[Session, Depends(get_db, scope="function")]

# Declared for OpenAPI (/docs shows both ways to sign in); the values are read again in current_user.
_bearer = HTTPBearer(auto_error=False, description="API token from POST /api/auth/tokens")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="browser session from /api/auth/login")


@dataclass(frozen=True)
class Credentials:
    """What a request presents to sign in (bearer token, session cookie, CSRF pair), read without the database."""

    method: str
    bearer: str | None
    session_cookie: str | None
    csrf_cookie: str | None
    csrf_header: str | None

    def principal(self, session: Session) -> Principal:
        """The signed-in user these credentials name, or UNAUTHENTICATED (CSRF-checked on writes)."""
        return authenticate(
            session,
            method=self.method,
            bearer=self.bearer,
            session_cookie=self.session_cookie,
            csrf_cookie=self.csrf_cookie,
            csrf_header=self.csrf_header,
            now=utcnow(),
        )


async def get_credentials(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Credentials:
    """The request's sign-in credentials (async: nothing here touches a connection)."""
    return Credentials(
        method=request.method,
        bearer=bearer.credentials if bearer else None,
        session_cookie=cookie,
        csrf_cookie=request.cookies.get(CSRF_COOKIE),
        csrf_header=request.headers.get(CSRF_HEADER),
    )


RequestCredentials = Annotated[Credentials, Depends(get_credentials)]


def current_user(credentials: RequestCredentials, session: DbSession) -> Principal:
    """The signed-in user, from a bearer token or the session cookie (CSRF-checked on writes)."""
    principal = credentials.principal(session)
    # Ends the read-only transaction, so its pooled connection is returned before the route waits for a worker
    # thread. Held across that wait, requests holding every connection wait for threads while every thread waits
    # for a connection, until the pool's 30 s timeout (seen with 100 concurrent readers: 40 threads, 15 connections).
    session.commit()
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def role(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency returning the signed-in user if their role is one of ``roles``, else FORBIDDEN."""

    # async: a pure check needs no worker thread (each sync dependency is a hop to the thread pool and back).
    async def guard(principal: CurrentUser) -> Principal:
        access.require_role(principal, roles)
        return principal

    return guard


# Worker threads the hot reads share in each server process, apart from the default 40. Only one thread runs Python
# at a time (the GIL): beyond a few, more threads only hand the GIL around at every SQL call, and under 50
# concurrent readers the tail grew with them (`ciqa bench service`, 2 processes: overview p95 85–118 ms with 40
# threads, 58–78 ms with 6).
HOT_READ_THREADS = 6
_HOT_READ_LIMITER: RunVar[anyio.CapacityLimiter] = RunVar("hot_read_limiter")


async def read_in_one_hop(
    settings: Settings, credentials: Credentials, roles: tuple[Role, ...], read: Callable[[Session, Principal], T]
) -> T:
    """Sign in, check the role and ``read`` on one worker thread, with a session opened and closed there.

    For the hottest reads (a review's overview, an indicator's evidence). Through the dependencies a request makes
    three hops to the thread pool and back — sign-in, route, commit — each a hand-off of the GIL between the event
    loop and a worker thread, and FastAPI solves a generator dependency per request; under 50 concurrent readers
    that overhead was most of a read's CPU (``ciqa bench service``). Errors are the dependencies' own: 401, 403.
    """

    def work() -> T:
        with session_scope(settings) as session:
            principal = credentials.principal(session)
            access.require_role(principal, roles)
            return read(session, principal)

    return await anyio.to_thread.run_sync(work, limiter=_hot_read_threads())


def _hot_read_threads() -> anyio.CapacityLimiter:
    try:
        return _HOT_READ_LIMITER.get()
    except LookupError:  # the first hot read of this event loop
        limiter = anyio.CapacityLimiter(HOT_READ_THREADS)
        _HOT_READ_LIMITER.set(limiter)
        return limiter


Readers = Annotated[Principal, Depends(role(*access.READERS))]
University = Annotated[Principal, Depends(role(Role.UNIVERSITY))]
Expert = Annotated[Principal, Depends(role(Role.EXPERT))]
Secretariat = Annotated[Principal, Depends(role(Role.SECRETARIAT))]
Admin = Annotated[Principal, Depends(role(Role.ADMIN))]
Reviewers = Annotated[Principal, Depends(role(Role.UNIVERSITY, Role.SECRETARIAT))]
AssignmentReaders = Annotated[Principal, Depends(role(Role.EXPERT, Role.SECRETARIAT))]
UserReaders = Annotated[Principal, Depends(role(Role.ADMIN, Role.SECRETARIAT))]


def load_submission(session: Session, principal: Principal, submission_id: int) -> Submission:
    """A submission the user may see, or NOT_FOUND."""
    submission = submissions.get_submission(session, submission_id=submission_id)
    access.check_submission(session, principal, submission, "材料")
    return submission


def _check_version(session: Session, principal: Principal, version_id: int, what_zh: str) -> DocumentVersion:
    """The version of an object the user asked for; NOT_FOUND naming that object when it is hidden."""
    version = versions.get_version(session, version_id=version_id)
    access.check_submission(session, principal, version.submission, what_zh)
    return version


def load_version(session: Session, principal: Principal, version_id: int) -> DocumentVersion:
    """A document version the user may see, or NOT_FOUND."""
    return _check_version(session, principal, version_id, "文件版本")


def load_job(session: Session, principal: Principal, job_id: int) -> Job:
    """A job the user may see (through its version; campaign jobs: secretariat only), or NOT_FOUND."""
    job = jobs.get_job(session, job_id=job_id)
    draft = drafts.find_draft_for_job(session, job_id=job_id) if job.kind is JobKind.DRAFT_REPORT else None
    if draft is not None:
        access.check_submission(session, principal, draft.submission, "任务")
    elif job.version_id is not None:
        _check_version(session, principal, job.version_id, "任务")
    elif principal.role is not Role.SECRETARIAT:
        raise AppError(ErrorCode.NOT_FOUND, "任务不存在。", f"job {job_id} not visible")
    return job


def load_draft(session: Session, principal: Principal, draft_id: int) -> DraftRecord:
    """A report draft of the user's own institution, or NOT_FOUND."""
    draft = drafts.get_draft(session, draft_id=draft_id)
    access.check_submission(session, principal, draft.submission, "报告草稿")
    return draft


def load_review(session: Session, principal: Principal, review_id: int) -> ReviewRecord:
    """A stored review the user may see, or NOT_FOUND."""
    review = reviews.get_review(session, review_id=review_id)
    _check_version(session, principal, review.version_id, "评审结果")
    return review


def load_assessment(session: Session, principal: Principal, assessment_id: int) -> AssessmentRecord:
    """An assessment the user may see, or NOT_FOUND."""
    assessment = reviews.get_assessment(session, assessment_id=assessment_id)
    _check_version(session, principal, assessment.review.version_id, "指标评估")
    return assessment


def load_diagnosis(session: Session, principal: Principal, diagnosis_id: int) -> Diagnosis:
    """A diagnosis round of the user's own institution, or NOT_FOUND (others see category means only)."""
    diagnosis = diagnoses.get_diagnosis(session, diagnosis_id=diagnosis_id)
    if principal.role is not Role.UNIVERSITY or diagnosis.institution_id != principal.institution_id:
        raise AppError(ErrorCode.NOT_FOUND, "诊断不存在。", f"diagnosis {diagnosis_id} not visible")
    return diagnosis
