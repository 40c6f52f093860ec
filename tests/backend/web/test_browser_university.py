"""The university's workspace in Debian's Chromium against a live `ciqa serve` (real HTTP, real worker, real
e5 embedder): sign in with the keyboard, upload a LibreOffice-made PDF with a supporting file, watch the
progress bar reach 100 %, open the review, open a quote on its highlighted page, download the Word report.

Screenshots of each page are saved under var/screenshots/ for people to look at.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from backend.db.queries import campaigns
from backend.db.session import session_scope
from tests.backend.web.live import SCREENSHOTS, LiveService

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FILES = Path(__file__).resolve().parents[2] / "files" / "realistic"
REPORT_PDF = FILES / "docx-libreoffice.pdf"
SUPPORTING_PDF = FILES / "html-chromium.pdf"
REPORT_DOCX = FILES / "docx-libreoffice.docx"
# Ingest of a 6-page PDF and a quality-culture review with the real embedder: ~20–40 s on 2 cores.
PROCESSING_TIMEOUT_MS = 240_000


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"university-{name}.png"), full_page=True)


@pytest.fixture
def page(chromium, live: LiveService):
    """A 1280 px wide tab that records every request leaving for another host (and blocks it)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    tab = context.new_page()
    outside: list[str] = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host not in ("127.0.0.1", "localhost"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    tab.route("**/*", guard)
    tab.outside = outside
    yield tab
    context.close()
    assert outside == [], f"pages requested other hosts: {outside}"


def _secretariat_reminds(chromium, live: LiveService) -> None:
    """The secretariat signs in (its own browser context) and reminds the institutions that have not submitted."""
    with session_scope(live.settings) as session:
        campaign_id = campaigns.find_campaign_by_name(session, name=live.campaign).id
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    office = context.new_page()
    office.goto(live.base_url + "/login")
    office.fill("#username", live.secretariat)
    office.fill("#password", live.password)
    office.click("button[type=submit]")
    office.wait_for_url(live.base_url + "/")
    office.goto(f"{live.base_url}/campaigns/{campaign_id}")
    office.click("form[action$='/remind'] button")
    office.wait_for_url(re.compile(r".*notice=reminded"))
    context.close()


def test_university_uploads_watches_progress_reads_review_and_downloads(
    page, chromium, live: LiveService, tmp_path: Path
):
    from docx import Document

    _secretariat_reminds(chromium, live)

    # Sign in with the keyboard only; the login page is where an anonymous visitor lands.
    page.goto(live.base_url + "/")
    assert page.url.startswith(live.base_url + "/login")
    _shot(page, "01-login")
    page.keyboard.type(live.username)  # the account field has focus
    page.keyboard.press("Tab")
    page.keyboard.type(live.password)
    page.keyboard.press("Enter")
    page.wait_for_url(live.base_url + "/")
    assert page.get_by_role("heading", name="我的材料").is_visible()
    # The secretariat's reminder, with its date, until the institution has uploaded its report.
    reminder = page.locator(".reminder").inner_text()
    assert f"提醒：贵校尚未向“{live.campaign}”提交自评报告" in reminder and re.search(r"\d{4}-\d{2}-\d{2}", reminder)
    _shot(page, "02-home-empty")

    # A wrong password is explained next to the password field (checked in a second tab, same browser).
    other = page.context.new_page()
    other.goto(live.base_url + "/login")
    other.fill("#username", live.username)
    other.fill("#password", "wrong")
    other.click("button[type=submit]")
    assert "用户名或密码错误" in other.locator("#password-error").inner_text()
    other.close()

    # New submission to the campaign, then upload the report and one supporting file.
    page.fill("#title", "质量文化建设自评报告（浏览器测试）")
    page.select_option("#campaign_id", label=live.campaign)
    page.click("text=新建并上传文件")
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    page.set_input_files("#main-file", str(REPORT_PDF))
    page.set_input_files("#supporting-files", str(SUPPORTING_PDF))
    assert "docx-libreoffice.pdf" in page.locator(".files").inner_text()
    page.click("button[type=submit]:has-text('开始上传')")

    # The report's row polls its progress until the review is ready; the bar passes through named stages.
    # The row first shows the upload's own bar (bytes sent); the server's answer replaces it with the version's
    # status, which polls itself.
    report_row = page.locator(".upload-row", has_text="docx-libreoffice.pdf")
    bar = report_row.locator(".version-status .progress[role=progressbar]")
    bar.wait_for(timeout=30_000)
    seen: set[str] = set()
    for _ in range(PROCESSING_TIMEOUT_MS // 500):
        stage = report_row.locator(".stage").inner_text() if report_row.locator(".stage").count() else ""
        seen.add(stage)
        if bar.get_attribute("aria-valuenow") == "100" or report_row.locator(".field-error").count():
            break
        if len(seen) == 3:
            _shot(page, "03-upload-progress")
        page.wait_for_timeout(500)
    assert report_row.locator(".field-error").count() == 0, report_row.inner_text()
    assert bar.get_attribute("aria-valuenow") == "100", f"stuck at {bar.get_attribute('aria-valuenow')}: {seen}"
    assert any("AI 评审" in s for s in seen) or any("解析与索引" in s for s in seen), seen
    supporting_row = page.locator(".upload-row", has_text="html-chromium.pdf")
    supporting_row.locator(".version-status .progress[aria-valuenow='100']").wait_for(timeout=60_000)
    assert "支撑材料" in supporting_row.inner_text()
    _shot(page, "04-upload-done")

    # The review: a tree of indicators with mark badges; a point's evidence loads on demand.
    report_row.locator("text=查看 AI 初审结果").click()
    page.wait_for_url(re.compile(r".*/reviews/\d+$"))
    review_url = page.url
    assert page.locator(".tree .badge").count() > 5
    _shot(page, "05-review")
    with_evidence = page.locator("button.load-detail", has_text=re.compile(r"（[1-9]\d* 条证据"))
    assert with_evidence.count() > 0
    with_evidence.first.click()
    quote = page.locator("a.quote").first
    quote.wait_for()
    quote_text = quote.inner_text()
    _shot(page, "06-point-detail")

    # Clicking the quote opens its page drawn with the span highlighted.
    quote.click()
    page.wait_for_url(re.compile(r".*/evidence/\d+$"))
    image = page.locator(".page-view img").first
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 600", arg=image.element_handle())
    assert page.locator(".match").get_attribute("data-match") in ("exact", "partial")
    assert quote_text.strip("“”")[:10] in page.locator(".panel").first.inner_text()
    _shot(page, "07-evidence-highlight")

    # The filter shows only points marked 破折号.
    page.goto(review_url + "?mark=more_material")
    badges = page.locator(".tree .badge:not(.level)").all_inner_texts()
    assert badges and set(badges) == {"破折号"}
    _shot(page, "08-review-filtered")

    # The checklists are pages of their own.
    page.goto(review_url)
    page.click("text=补充材料清单")
    assert page.get_by_role("heading", name="补充材料清单").is_visible()
    _shot(page, "09-supplementary")

    # A rectified version (the same report as Word) is uploaded next; 整改跟踪 compares the two reviews.
    page.goto(review_url)
    page.click("text=← 返回材料")
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    page.wait_for_load_state()
    page.set_input_files("#main-file", str(REPORT_DOCX))
    page.click("button[type=submit]:has-text('开始上传')")
    row = page.locator(".upload-row").first
    row.locator(".version-status .progress[aria-valuenow='100']").wait_for(timeout=PROCESSING_TIMEOUT_MS)
    page.reload()
    page.click("text=对比两个版本")
    page.wait_for_url(re.compile(r".*/compare\?before=\d+&after=\d+$"))
    assert page.get_by_role("heading", name="整改跟踪").is_visible()
    assert page.locator("table.compare tbody tr").count() > 5
    _shot(page, "10-compare")

    # In the Word version's review a quote opens as its paragraph in context, the quoted span marked.
    page.goto(live.base_url + "/")
    assert page.locator(".reminder").count() == 0  # the report is uploaded: the reminder is gone
    page.locator("a", has_text="查看详情").first.click()
    page.locator("button.load-detail", has_text=re.compile(r"（[1-9]\d* 条证据")).first.click()
    page.locator("a.quote").first.click()
    page.locator(".docx-context mark").first.wait_for()
    _shot(page, "11-docx-paragraph")

    # The Word report downloads and opens.
    page.goto(review_url)
    with page.expect_download() as download:
        page.click("text=下载评审报告（Word）")
    target = tmp_path / "report.docx"
    download.value.save_as(target)
    doc = Document(io.BytesIO(target.read_bytes()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "docx-libreoffice.pdf" in text
    assert quote_text.strip("“”")[:10] in text or any(
        quote_text.strip("“”")[:10] in c.text for t in doc.tables for r in t.rows for c in r.cells
    )
