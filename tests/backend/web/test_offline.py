"""No request leaves the server: pages and the vendored assets reference no other host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.web.app import STATIC_DIR
from tests.backend.api.conftest import World

# src/href/action attributes, CSS url(), and JS/CSS imports that point at a scheme or a protocol-relative host.
EXTERNAL = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:https?:)?//""",
    re.I,
)
TEMPLATES = Path(STATIC_DIR).parent / "templates"


def test_templates_reference_no_other_host():
    offending = [p.name for p in TEMPLATES.rglob("*.html") if EXTERNAL.search(p.read_text("utf-8"))]
    assert offending == []


# Absolute URLs a served asset may contain without fetching them: XML namespaces and licence links in comments.
INERT_URLS = r"https?://(?!www\.w3\.org/|www\.apache\.org/licenses/|github\.com/ecomfe/zrender/blob/master/LICENSE)"


@pytest.mark.parametrize("asset", ["app.css", "app.js", "htmx.min.js", "charts.js", "echarts.min.js"])
def test_vendored_assets_load_nothing_from_outside(asset: str):
    text = (Path(STATIC_DIR) / asset).read_text("utf-8")
    assert not EXTERNAL.search(text)
    assert not re.search(INERT_URLS, text), "an absolute URL in a served asset"


def test_vendored_echarts_is_the_recorded_file():
    import hashlib

    recorded = (Path(STATIC_DIR) / "README.md").read_text("utf-8")
    digest = hashlib.sha256((Path(STATIC_DIR) / "echarts.min.js").read_bytes()).hexdigest()
    assert f"{digest}  echarts.min.js" in recorded


@pytest.mark.parametrize("role", ["university", "expert", "secretariat", "admin"])
def test_rendered_pages_reference_no_other_host(browser_as, world: World, role: str):
    client = browser_as(role)
    paths = ["/", "/login"]
    if role != "admin":
        paths += [f"/submissions/{world.own.submission_id}", f"/reviews/{world.own.review_id}"]
    if role == "secretariat":
        c = world.campaign_id
        paths += [f"/campaigns/{c}", f"/campaigns/{c}/assignments", f"/campaigns/{c}/ranking", f"/campaigns/{c}/charts"]
    if role in ("secretariat", "admin"):
        paths += ["/people"]
    for path in paths:
        html = client.get(path).text
        assert not EXTERNAL.search(html), path
        # Every script and stylesheet is one of ours.
        for ref in re.findall(r"""(?:src|href)=["']([^"'#]+)["']""", html):
            assert ref.startswith("/") or ref.startswith("?"), (path, ref)


def test_static_assets_are_served(anonymous):
    for asset in ("app.css", "app.js", "htmx.min.js", "favicon.svg", "charts.js", "echarts.min.js"):
        r = anonymous.get(f"/static/{asset}")
        assert r.status_code == 200, asset
