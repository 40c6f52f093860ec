"""自评报告起草 in Debian's Chromium against a live `ciqa serve` (real worker, real e5 embedder): upload 支撑材料,
draft the report with live progress, read cited sentences and gaps, edit a section, export Word, finalise it as a
new report version. Screenshots go to var/screenshots/ for people to look at."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from corpus.generator import generate_report
from eval.drafting_eval import split_materials
from tests.backend.web.live import SCREENSHOTS, LiveService

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# Ingest of five small files and a draft against the whole 审核评估 rubric with the real embedder on 2 cores.
TIMEOUT_MS = 300_000


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"drafting-{name}.png"), full_page=True)


def test_university_drafts_edits_exports_and_finalises(chromium, live: LiveService, tmp_path: Path):
    from docx import Document

    files = split_materials(generate_report(11, pages=8, omit=frozenset({"3.1.5"})), tmp_path)[:5]
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(live.base_url + "/login")
    page.fill("#username", live.username)
    page.fill("#password", live.password)
    page.click("button[type=submit]")
    page.wait_for_url(live.base_url + "/")

    # A submission with supporting files only (no report yet: the report is what will be drafted).
    page.fill("#title", "审核评估自评报告（起草测试）")
    page.click("text=新建并上传文件")
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    submission_url = page.url
    page.set_input_files("#supporting-files", [str(f) for f in files])
    page.click("button[type=submit]:has-text('开始上传')")
    for f in files:
        row = page.locator(".upload-row", has_text=f.name)
        row.locator(".version-status .progress[aria-valuenow='100']").wait_for(timeout=TIMEOUT_MS)

    # The nav leads to drafting; the form names the submission with its ready files.
    page.get_by_role("link", name="自评报告起草").click()
    page.wait_for_url(live.base_url + "/drafting")
    assert page.get_by_role("link", name="自评报告起草").get_attribute("aria-current") == "page"
    option = page.locator("#submission_id option", has_text="审核评估自评报告（起草测试）")
    assert "可用支撑材料 5 份" in option.inner_text()
    page.select_option("#submission_id", value=option.get_attribute("value"))
    page.select_option("#rubric_id", value="audit-2021-type2")
    _shot(page, "01-start")
    page.click("text=开始起草")
    page.wait_for_url(re.compile(r".*/drafting/\d+$"))

    # Progress is shown while the job runs; the page reloads with the draft when it is done.
    bar = page.locator(".progress[role=progressbar]")
    seen = set()
    for _ in range(TIMEOUT_MS // 500):
        if page.locator(".draft-summary").count():
            break
        if bar.count():
            seen.add(page.locator(".stage").first.inner_text())
            if len(seen) == 2:
                _shot(page, "02-progress")
        page.wait_for_timeout(500)
    assert page.locator(".draft-summary").count() == 1, seen
    assert page.locator("h2", has_text="1 办学方向与本科地位").count() == 1
    first_note = page.locator(".draft-notes li").first.inner_text()
    assert re.match(r"材料\d\d\.(pdf|docx)，(第 \d+(–\d+)? 页|页码未知)：“.+”", first_note), first_note
    assert page.locator(".draft-gap").count() >= 1
    assert "3.1.5" in page.locator(".draft-gaps").inner_text()
    _shot(page, "03-draft")

    # Edit a section in place (htmx), then export Word with the edit.
    section = page.locator("#section-1-1")
    section.locator("summary", has_text="编辑本节").click()
    section.locator("textarea").fill("学校坚持党委领导下的校长负责制，本节由学校修改。")
    section.locator("button", has_text="保存本节").click()
    page.locator("#section-1-1 .badge", has_text="已由学校修改").wait_for()
    assert "本节由学校修改" in page.locator("#section-1-1").inner_text()
    _shot(page, "04-edited")
    with page.expect_download() as download:
        page.click("text=导出 Word 文档")
    data = Path(download.value.path()).read_bytes()
    texts = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert "学校坚持党委领导下的校长负责制，本节由学校修改。" in texts

    # Finalise: the draft becomes a report version of the submission, ingested like any upload.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=定稿并提交为自评报告新版本")
    page.wait_for_url(submission_url)
    assert "自评报告（草稿）.docx" in page.locator("table.data").first.inner_text()
    _shot(page, "05-finalised")
    context.close()
