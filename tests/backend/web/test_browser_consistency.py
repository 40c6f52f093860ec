"""数据一致性核对 in Debian's Chromium against a live `ciqa serve` (real HTTP, real worker, real e5 embedder): a
university uploads a report (Word), a supporting file and a state-data workbook with merged headers through the
page's three file pickers, waits for them to be processed, and reads the consistency page: the conflict quoted
side by side with page and cell, the verdict and metric filters, the Excel export.

Screenshots are saved under var/screenshots/ for people to look at.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.backend.web.live import SCREENSHOTS, LiveService

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROCESSING_TIMEOUT_MS = 180_000


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"consistency-{name}.png"), full_page=True)


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    from docx import Document
    from openpyxl import Workbook

    report = Document()
    report.add_heading("一、办学基本条件", level=1)
    report.add_paragraph("2023学年，学校生师比为17.49:1，专任教师总数为1732人。")
    report.add_paragraph("2023学年，学校生均教学科研仪器设备值为16002.25元。")
    report_path = tmp_path / "自评报告.docx"
    report.save(report_path)

    supporting = Document()
    supporting.add_heading("师资队伍", level=1)
    supporting.add_paragraph("2023学年，学校专任教师总数为1732人。")
    supporting_path = tmp_path / "支撑材料-师资队伍.docx"
    supporting.save(supporting_path)

    book = Workbook()
    sheet = book.active
    sheet.title = "基本办学条件"
    sheet.append(["表1-1 学校基本办学条件"])
    sheet.merge_cells("A1:D1")
    sheet.append(["指标名称", "统计年度", None, "单位"])
    sheet.append([None, "2022学年", "2023学年", None])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:C2")
    sheet.merge_cells("D2:D3")
    sheet.append(["生师比", 18.46, 17.94, None])
    sheet.append(["专任教师数", 1650, 1732, "人"])
    sheet.append(["生均教学科研仪器设备值", 15230.5, 16002.25, "元"])
    state_path = tmp_path / "状态数据2023.xlsx"
    book.save(state_path)
    return report_path, supporting_path, state_path


@pytest.fixture
def page(chromium, live: LiveService):
    """A 1280 px wide tab that blocks (and records) every request leaving for another host."""
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
    yield tab
    context.close()
    assert outside == [], f"pages requested other hosts: {outside}"


def test_university_uploads_state_data_and_reads_the_conflicts(page, live: LiveService, tmp_path: Path):
    from openpyxl import load_workbook

    report, supporting, state = _files(tmp_path)
    page.goto(live.base_url + "/login")
    page.fill("#username", live.username)
    page.fill("#password", live.password)
    page.click("button[type=submit]")
    page.wait_for_url(live.base_url + "/")
    page.fill("#title", "数据一致性核对（浏览器测试）")
    page.click("text=新建并上传文件")
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    submission_url = page.url

    page.set_input_files("#main-file", str(report))
    page.set_input_files("#supporting-files", str(supporting))
    page.set_input_files("#state-data-files", str(state))
    chosen = page.locator(".files").inner_text()
    assert "状态数据2023.xlsx（状态数据" in chosen and "自评报告.docx" in chosen
    _shot(page, "01-chosen")
    page.click("button[type=submit]:has-text('开始上传')")
    for name in ("自评报告.docx", "支撑材料-师资队伍.docx", "状态数据2023.xlsx"):
        row = page.locator(".upload-row", has_text=name)
        row.locator(".version-status .progress[aria-valuenow='100']").wait_for(timeout=PROCESSING_TIMEOUT_MS)
        assert row.locator(".field-error").count() == 0, row.inner_text()

    page.goto(submission_url)
    assert "状态数据" in page.locator("table", has_text="状态数据2023.xlsx").inner_text()
    page.click("text=数据一致性核对（自评报告、支撑材料、状态数据）")
    page.wait_for_url(re.compile(r".*/consistency$"))
    conflict = page.locator("tr.check-conflict", has_text="生师比")
    assert conflict.count() == 1
    text = conflict.inner_text()
    assert "工作表「基本办学条件」C4" in text and "17.94" in text and "17.49:1" in text
    assert page.locator("tr.check-agree", has_text="专任教师数").count() == 1
    _shot(page, "02-all")

    page.click("nav.filters >> text=冲突")
    page.wait_for_url(re.compile(r".*verdict=conflict"))
    assert page.locator("tr.check-agree").count() == 0 and page.locator("tr.check-conflict").count() == 1
    _shot(page, "03-conflicts")

    page.click("nav.filters >> text=全部")
    page.fill("#metric", "专任")
    page.click("form.panel button[type=submit]:has-text('筛选')")
    page.wait_for_url(re.compile(r".*metric=.*"))
    assert page.locator("tbody tr").count() == 1 and "专任教师数" in page.locator("tbody").inner_text()

    with page.expect_download() as download:
        page.click("text=导出 Excel")
    data = Path(download.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.freeze_panes == "A2"
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"专任教师数"}
    _shot(page, "04-metric-filter")
