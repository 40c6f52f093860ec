"""The service's application: the JSON API under /api plus the web pages, their assets and HTML error pages."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import escape
from starlette.exceptions import HTTPException

from backend.api.main import HTTP_STATUS, INTERNAL_ZH
from backend.api.main import create_app as create_api
from backend.config import Settings
from backend.errors import AppError
from backend.web.deps import LoginRequired, login_url
from backend.web.render import page
from backend.web.views import (
    assignment,
    auth,
    campaigns,
    cases,
    consistency,
    diagnosis,
    downloads,
    drafting,
    evidence,
    expert,
    home,
    people,
    ranking,
    reviews,
    submissions,
)
from indexing.errors import IndexingError

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
# Paths answered by the API's JSON errors; everything else is a page and gets an HTML error.
JSON_PREFIXES = ("/api/", "/openapi.json", "/docs", "/redoc")
HEADING_ZH = {
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    409: "暂时无法执行",
    413: "文件过大",
    422: "请求无效",
    429: "操作过于频繁",
    500: "系统内部错误",
}


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(JSON_PREFIXES)


def _error_page(request: Request, status: int, message_zh: str) -> HTMLResponse:
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx answers by default; an error fragment shows beside the control that asked.
        return HTMLResponse(f'<p class="field-error" role="alert">{escape(message_zh)}</p>', status_code=status)
    return page(
        request,
        "error.html",
        None,
        title=HEADING_ZH.get(status, "出错了"),
        heading=HEADING_ZH.get(status, "出错了"),
        message=message_zh,
        status_code=status,
        back=request.headers.get("referer"),
    )


def _login_required(request: Request, exc: LoginRequired) -> Response:
    target = login_url(exc.next_path)
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API with the web pages for ``settings`` (from the environment when None)."""
    app = create_api(settings)
    api_errors = dict(app.exception_handlers)

    async def app_error(request: Request, exc: AppError) -> Response:
        if not _is_page(request):
            return await api_errors[AppError](request, exc)
        status = HTTP_STATUS[exc.code]
        log.info("page error %s %s: %s %s", request.method, request.url.path, exc.code, exc.detail)
        return _error_page(request, status, exc.message_zh)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not _is_page(request):
            return await api_errors[HTTPException](request, exc)
        message = "您访问的页面不存在，请检查地址。" if exc.status_code == 404 else "请求无法处理，请返回重试。"
        return _error_page(request, exc.status_code, message)

    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request):
            return await api_errors[RequestValidationError](request, exc)
        log.info("invalid page request %s %s: %s", request.method, request.url.path, exc.errors())
        return _error_page(request, 422, "地址或表单内容无效，请返回重试。")

    async def indexing_error(request: Request, exc: IndexingError) -> Response:
        if not _is_page(request):
            return await api_errors[IndexingError](request, exc)
        log.info("page error %s %s: %s %s", request.method, request.url.path, exc.code, exc.detail)
        return _error_page(request, 422, exc.message_zh)

    async def internal_error(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            return await api_errors[Exception](request, exc)
        log.exception("unhandled error in page %s %s", request.method, request.url.path, exc_info=exc)
        return _error_page(request, 500, INTERNAL_ZH)

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(Exception, internal_error)
    app.add_exception_handler(IndexingError, indexing_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(LoginRequired, _login_required)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        auth,
        home,
        submissions,
        reviews,
        evidence,
        downloads,
        consistency,
        drafting,
        expert,
        campaigns,
        assignment,
        ranking,
        people,
        diagnosis,
        cases,
    ):
        app.include_router(module.router, include_in_schema=False)
    return app


# Requests allocate many short-lived containers (rows, models, fragments): with the default 700 the collector ran
# every few requests and its full passes over the startup heap (rubrics, templates, routes) stalled the event loop —
# most of the review read's p95 under 50 clients (`ciqa bench service`: p95 about 250 ms → about 150 ms).
GC_THRESHOLDS = (20_000, 50, 1_000)


def served_app() -> FastAPI:
    """The application as `ciqa serve` runs it in each server process: built, then its heap frozen for the collector."""
    app = create_app()
    gc.freeze()  # what startup built lives as long as the process: never scan it again
    gc.set_threshold(*GC_THRESHOLDS)
    return app
