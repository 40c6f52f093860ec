"""The quality-culture diagnosis in Debian's Chromium against a live `ciqa serve` (real worker, real embedder):
an uploaded report not yet reviewed with the quality-culture rubric is offered for review and reviewed, the
questionnaire is filled, saved as a draft and submitted, the result draws its radar with the category mean (four
more 应用型 institutions have submitted), every quote shown is verbatim in the report, the Word report downloads;
the secretariat sees anonymised means only. Screenshots under var/screenshots/diagnosis-*."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from backend.db.models import VersionStatus
from backend.db.queries import chunks, institutions, reviews, submissions, versions
from backend.db.session import session_scope
from backend.diagnosis.flows import diagnosis_rubric
from backend.domain.enums import InstitutionType
from backend.ingest.flows import upload_version
from tests.backend.diagnosis.world import diagnosed_institution
from tests.backend.web.live import SCREENSHOTS, LiveService

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPORT = Path(__file__).resolve().parents[2] / "files" / "realistic" / "docx-libreoffice.pdf"
# Ingest of a 6-page PDF, then its quality-culture review, with the real embedder on 2 shared cores.
PROCESSING_TIMEOUT_S = 300


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"diagnosis-{name}.png"), full_page=True)


def _wait(what: str, found) -> None:
    deadline = time.monotonic() + PROCESSING_TIMEOUT_S
    while not found():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def _seed(live: LiveService) -> int:
    """A standalone submission (no rubric: ingested, not reviewed) and four other 应用型 institutions diagnosed."""
    with session_scope(live.settings) as session:
        school = institutions.find_institution_by_name(session, name=live.institution)
        submission = submissions.create_submission(session, institution_id=school.id, title="质量文化建设自评报告")
        session.commit()
        upload = upload_version(
            session,
            submission_id=submission.id,
            data=REPORT.read_bytes(),
            original_name=REPORT.name,
            user_id=None,
            settings=live.settings,
        )
        for n, level in enumerate(("A", "B", "B", "C")):
            diagnosed_institution(
                session, live.settings, name=f"同类院校{n}", type=InstitutionType.APPLIED, default=level
            )
        session.commit()
    return upload.version_id


def _ready(live: LiveService, version_id: int) -> bool:
    with session_scope(live.settings) as session:
        return versions.get_version(session, version_id=version_id).status is VersionStatus.READY


def _linkable(live: LiveService) -> list[str]:
    with session_scope(live.settings) as session:
        school = institutions.find_institution_by_name(session, name=live.institution)
        return [v.original_name for v in versions.list_institution_versions(session, institution_id=school.id)]


def _reviewed(live: LiveService, version_id: int) -> bool:
    with session_scope(live.settings) as session:
        return reviews.latest_review(session, version_id=version_id, rubric_id="quality-culture-2026") is not None


@pytest.fixture
def context(chromium):
    """A 1280 px wide browser context that blocks and records every request for another host."""
    made = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    outside: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname not in ("127.0.0.1", "localhost"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    made.route("**/*", guard)
    yield made
    made.close()
    assert outside == [], f"pages requested other hosts: {outside}"


def _login(page, live: LiveService, username: str) -> None:
    page.goto(live.base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", live.password)
    page.click("button[type=submit]")
    page.wait_for_url(live.base_url + "/")


def test_diagnosis_from_review_offer_to_report(context, live: LiveService):
    from docx import Document

    version_id = _seed(live)
    _wait("the upload to be processed", lambda: _ready(live, version_id))
    page = context.new_page()
    _login(page, live, live.username)
    page.click("nav >> text=质量文化诊断")
    page.wait_for_url(live.base_url + "/diagnosis")
    assert page.get_by_text("尚无以本指标体系完成 AI 初审的材料").is_visible()
    _shot(page, "01-home-no-evidence")

    # The page offers the review of the uploaded report with the quality-culture rubric; progress is on the submission.
    page.click("button:has-text('开始 AI 初审')")
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    _wait("the quality-culture review", lambda: _reviewed(live, version_id))
    page.goto(live.base_url + "/diagnosis")
    assert page.get_by_text(f"自评将与《{REPORT.name}》的 AI 初审").is_visible()
    _shot(page, "01b-home-evidence")

    # An evidence file is uploaded from the diagnosis page and kept as 支撑材料 (processed, then linkable).
    minutes = "2025年党委常委会两次专题研究质量文化建设，形成《质量文化建设三年行动计划》。"
    page.set_input_files("#evidence-file", files=[{"name": "党委会议纪要.txt", "mimeType": "text/plain",
                                                   "buffer": minutes.encode()}])  # fmt: skip
    page.click("button:has-text('上传')")
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    page.wait_for_selector("text=党委会议纪要.txt")
    page.goto(live.base_url + "/diagnosis")

    page.fill("#title", "2026年质量文化建设诊断")
    page.click("button:has-text('开始新一轮诊断')")
    page.wait_for_url(re.compile(r".*/diagnosis/\d+/questionnaire$"))
    diagnosis_url = page.url.removesuffix("/questionnaire")
    _wait("the evidence file to be processed", lambda: "党委会议纪要.txt" in _linkable(live))
    page.reload()
    rubric = diagnosis_rubric(live.settings)
    point_ids = [p.id for _, p in rubric.iter_points()]
    assert page.locator("fieldset.question").count() == len(point_ids) == 26
    page.select_option("#role", "qa_office")
    page.check('input[name="level_1.1.1"][value="C"]')
    page.fill('textarea[name="comment_1.1.1"]', "质量方针已写入学校章程（第五条）。")
    page.select_option(
        'select[name="docs_1.1.1"]',
        label=["党委会议纪要.txt（质量文化诊断证据材料）", f"{REPORT.name}（质量文化建设自评报告）"],
    )
    page.click("button:has-text('保存草稿')")
    page.wait_for_url(re.compile(r".*\?saved=1$"))
    assert page.get_by_text("草稿已保存").is_visible()
    assert len(page.locator('select[name="docs_1.1.1"] option:checked').all()) == 2
    assert page.locator('input[name="level_1.1.1"][value="C"]').is_checked()
    _shot(page, "02-questionnaire-draft")

    page.click("button:has-text('提交问卷')")  # incomplete: refused, answers kept
    assert page.get_by_text("还有 25 个审核重点未自评").is_visible()
    assert page.locator('textarea[name="comment_1.1.1"]').input_value() == "质量方针已写入学校章程（第五条）。"
    for n, point_id in enumerate(point_ids[1:]):
        page.check(f'input[name="level_{point_id}"][value="{"ABCD"[n % 4]}"]')
    page.click("button:has-text('提交问卷')")
    page.wait_for_url(diagnosis_url)
    page.wait_for_selector('[data-chart="radar"][data-ready="true"]')
    assert page.locator("#dimensions tbody tr").count() == 4
    assert "应用型均值" in page.locator("#dimensions").inner_text()
    assert (
        "关联材料：" in page.locator("#checks").inner_text()
        and "党委会议纪要.txt" in page.locator("#checks").inner_text()
    )
    assert page.locator("#weakest > li").count() == 5
    assert page.locator("#weakest").get_by_text("建议").count() >= 1
    _shot(page, "03-result")

    # Every quote shown is verbatim in the report's stored text.
    with session_scope(live.settings) as session:
        text = "".join(c.text for c in chunks.list_chunks(session, version_id=version_id))
    quotes = [q.split("」")[0].removeprefix("「") for q in page.locator("#checks .evidence li").all_inner_texts()]
    assert all(q in text for q in quotes), [q for q in quotes if q not in text]
    verdicts = set(page.locator("#checks .badge").all_inner_texts())
    assert verdicts <= {"与证据相符", "自评偏高", "自评偏低", "引文未能核验", "尚无已评审证据"} and verdicts

    with page.expect_download() as download:
        page.click("text=下载诊断报告（Word）")
    document = Document(io.BytesIO(Path(download.value.path()).read_bytes()))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "质量文化建设诊断报告" in body and live.institution in body and "三、薄弱环节与改进建议" in body
    assert all(q in body for q in quotes[:3])

    # The secretariat reads the category's anonymised means, no institution's name.
    office = context.new_page()
    _login(office, live, live.secretariat)
    office.click("nav >> text=质量文化诊断汇总")
    row = office.locator("#benchmarks tr", has_text="应用型").inner_text()
    assert "\t5\t" in row and "不足" not in row
    assert live.institution not in office.content() and "同类院校0" not in office.content()
    _shot(office, "04-secretariat")
