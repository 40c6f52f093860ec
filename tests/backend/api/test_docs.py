"""/docs and /redoc work offline: every script, stylesheet and icon comes from the app itself."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from backend.api.docs import STATIC_DIR

ROOT = Path(__file__).resolve().parents[3]
# src="..." / href="..." attributes, and the spec URL ReDoc and Swagger UI fetch.
REFERENCE = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*'([^']+)'""")
MIN_BYTES = {".js": 500_000, ".css": 100_000, ".png": 500}
FONT_HOSTS = ("fonts.googleapis.com", "fonts.gstatic.com")


def _references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_page_references_no_external_host(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "http://" not in html and "https://" not in html, "the page names an external URL"
    references = _references(html)
    assert "/openapi.json" in references
    for url in references:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not same-origin"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_assets_are_served_from_the_package(client: TestClient, page: str) -> None:
    assets = [u for u in _references(client.get(page).text) if u != "/openapi.json"]
    assert {Path(u).suffix for u in assets} >= ({".js", ".png"} if page == "/redoc" else {".js", ".css", ".png"})
    for url in assets:
        response = client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) >= MIN_BYTES[Path(url).suffix], url
        if url.endswith(".js"):
            assert not any(host in response.text for host in FONT_HOSTS), f"{url} fetches Google Fonts"


def test_swagger_ui_asks_no_online_validator(client: TestClient) -> None:
    """Swagger UI's default validator badge is an image from validator.swagger.io."""
    assert '"validatorUrl": null' in client.get("/docs").text


def test_redoc_is_built_without_google_fonts(client: TestClient) -> None:
    html = client.get("/redoc").text
    assert "<redoc spec-url=" in html and not any(host in html for host in FONT_HOSTS)


def test_docs_pages_follow_the_root_path(app: FastAPI) -> None:
    """Behind a proxy serving the app under /ciqa, the page asks for /ciqa/... URLs."""
    with TestClient(app, root_path="/ciqa") as client:
        references = _references(client.get("/docs").text)
    assert references and all(u.startswith("/ciqa/") for u in references)


def test_missing_asset_is_a_json_404(client: TestClient) -> None:
    response = client.get("/docs-assets/swagger-ui/nothing.js")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_vendored_files_are_package_data() -> None:
    """Every vendored file matches a package-data pattern of backend.api, so a wheel installs it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["backend.api"]
    # setuptools globs each pattern relative to the package's directory.
    included = {p for pattern in patterns for p in STATIC_DIR.parent.glob(pattern) if p.is_file()}
    files = {p for p in STATIC_DIR.rglob("*") if p.is_file()}
    assert len(files) >= 7 and files <= included, f"not package data: {sorted(map(str, files - included))}"
