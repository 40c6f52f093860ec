"""The FastAPI application: routers under /api, docs pages, gzip, and the one mapping of error codes to HTTP."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware

from backend.api.conditional import GZIP_LEVEL, GZIP_MINIMUM_BYTES, RenderedBodies
from backend.api.docs import add_docs
from backend.api.limits import BodySizeLimit
from backend.api.routers import admin, auth, campaigns, cases, diagnosis, drafts, reviews, rubrics, submissions
from backend.api.schemas import ErrorOut
from backend.config import Settings
from backend.errors import AppError, ErrorCode
from indexing.errors import IndexingError

log = logging.getLogger(__name__)

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_INPUT: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.CONFLICT: 409,
    ErrorCode.BAD_FILE: 422,
    ErrorCode.RUBRIC_INVALID: 422,
    ErrorCode.RUBRIC_NOT_FOUND: 404,
    ErrorCode.IMPORT_FAILED: 422,
    ErrorCode.CSRF_FAILED: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.INTERNAL: 500,
}
INTERNAL_ZH = "系统内部错误，已记录，请稍后重试；如反复出现，请联系管理员。"
_STATUS_CODE = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.NOT_FOUND, 413: ErrorCode.TOO_LARGE}
_STATUS_ZH = {
    400: "请求内容无法解析，请检查格式（例如 JSON）后重试。",
    404: "请求的接口不存在。",
    405: "请求的接口不支持该方法。",
}
# FastAPI's upload check says "Expected UploadFile, received: <class 'str'>"; the type's name is enough.
_CLASS_REPR = re.compile(r"<class '([\w.]+)'>")
# Every 4xx is the one error body; declaring it also replaces FastAPI's default 422 schema, which the app never sends.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorOut, "description": "Error: a stable code, a Chinese message, a detail for developers"}
}
# Review overviews and assessments kept rendered: a few MB (an overview of 27 indicators is about 50 KB).
RENDERED_BODIES = 128


def _error(status: int, code: ErrorCode | str, message_zh: str, detail: object = None) -> JSONResponse:
    return JSONResponse({"code": str(code), "message": message_zh, "detail": detail}, status_code=status)


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    if exc.code is ErrorCode.NOT_FOUND:
        # The detail tells a missing object ("no review 9") from another tenant's ("submission 3 not visible").
        log.info("not found: %s %s: %s", request.method, request.url.path, exc.detail)
        return _error(404, exc.code, exc.message_zh)
    response = _error(HTTP_STATUS[exc.code], exc.code, exc.message_zh, exc.detail or None)
    if exc.retry_after_s is not None:
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


async def _indexing_error(request: Request, exc: IndexingError) -> JSONResponse:
    return _error(422, ErrorCode.BAD_FILE, exc.message_zh, f"{exc.code.value}: {exc.detail}")


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": list(e["loc"]), "msg": _CLASS_REPR.sub(r"\1", e["msg"]), "type": e["type"]} for e in exc.errors()]
    return _error(422, ErrorCode.INVALID_INPUT, "请求参数无效，请检查后重试。", errors)


async def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    return _error(409, ErrorCode.CONFLICT, "与已有记录冲突（例如名称重复）。", type(exc.orig).__name__)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code = _STATUS_CODE.get(exc.status_code, ErrorCode.INVALID_INPUT)
    message = _STATUS_ZH.get(exc.status_code, str(exc.detail))
    # Starlette's and FastAPI's own details are English ("There was an error parsing the body"): detail only.
    return _error(exc.status_code, code, message, None if message == exc.detail else str(exc.detail))


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return _error(500, ErrorCode.INTERNAL, INTERNAL_ZH)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API application for ``settings`` (from the environment when None)."""
    settings = settings or Settings()
    app = FastAPI(title="ciqa-review API", version="1", docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.settings = settings
    app.state.rendered = RenderedBodies(RENDERED_BODIES)
    add_docs(app)
    # Hot reads first: a request is matched against the routers in this order.
    for module in (reviews, submissions, campaigns, drafts, diagnosis, cases, rubrics, auth, admin):
        app.include_router(module.router, prefix="/api", responses=ERROR_RESPONSES)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(IndexingError, _indexing_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    app.add_middleware(BodySizeLimit, max_file_bytes=settings.max_upload_bytes)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    return app
