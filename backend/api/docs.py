"""The API documentation pages, /docs (Swagger UI) and /redoc, with their scripts served from the package.

FastAPI's default pages load Swagger UI, ReDoc and Google Fonts from CDNs, which leaves them blank on a
campus network without internet access; the vendored copies are described in ``static/README.md``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/docs-assets"
TITLE = "ciqa-review API"


def _prefix(request: Request) -> str:
    # Behind a proxy that mounts the app under a path, every URL on the page needs that path too.
    return request.scope.get("root_path", "").rstrip("/")


def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for the OpenAPI document."""
    prefix = _prefix(request)
    return get_swagger_ui_html(
        openapi_url=prefix + request.app.openapi_url,
        title=f"{TITLE} – Swagger UI",
        swagger_js_url=f"{prefix}{ASSETS_PATH}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{prefix}{ASSETS_PATH}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{prefix}{ASSETS_PATH}/swagger-ui/favicon-32x32.png",
        # Else Swagger UI shows a badge image from validator.swagger.io, sending it the spec's URL.
        swagger_ui_parameters={"validatorUrl": None},
    )


def redoc(request: Request) -> HTMLResponse:
    """ReDoc for the OpenAPI document, without Google Fonts."""
    prefix = _prefix(request)
    return get_redoc_html(
        openapi_url=prefix + request.app.openapi_url,
        title=f"{TITLE} – ReDoc",
        redoc_js_url=f"{prefix}{ASSETS_PATH}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{prefix}{ASSETS_PATH}/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )


def add_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets (the app must be created with ``docs_url=None, redoc_url=None``)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="docs-assets")
    app.add_api_route("/docs", swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
