"""The secretariat in Debian's Chromium against a live `ciqa serve`: import institutions and experts from
workbooks, create a campaign with quotas and a tagged seat, re-run the AI review of the whole campaign as one job
(after its cost confirmation) and watch its progress, auto-assign experts (no conflict of interest), let the
assigned experts submit their reviews (a fixture doing what the workspace does: decide every point, choose the
levels, submit), open the ranking (scores from the experts' decisions), fix the shortlist, download the workbook
and read it with openpyxl, draw the charts. Screenshots under var/screenshots/secretariat-*.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from openpyxl import Workbook, load_workbook

from backend.auth.passwords import hash_password
from backend.config import Settings
from backend.db.models import ExpertOpinions, Opinion, Role
from backend.db.queries import assignments, campaigns, institutions, reviews, submissions, users
from backend.db.session import session_scope
from backend.domain.enums import DecisionAction, Mark
from backend.ingest.flows import upload_version
from backend.review.decisions import DecisionInput
from backend.review.expert import decide, submit_expert_review
from backend.rubrics.registry import rubric_registry
from backend.workspace import review_for_experts
from tests.backend.web.live import SCREENSHOTS, LiveService

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FILES = Path(__file__).resolve().parents[2] / "files" / "realistic"
REPORTS = {"甲大学": "docx-libreoffice.docx", "乙大学": "docx-libreoffice.pdf", "丙职业技术学院": "html-chromium.pdf"}
SECRETARY = ("secretary", "秘书处-password-1")
# Three ingests and six quality-culture reviews with the real embedder on 2 shared cores.
REVIEW_TIMEOUT_MS = 600_000


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"secretariat-{name}.png"), full_page=True)


def _workbook(rows: list[list[str]], path: Path) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _seed_secretary(settings: Settings) -> None:
    with session_scope(settings) as session:
        users.create_user(
            session,
            username=SECRETARY[0],
            display_name="CIQA 秘书处",
            role=Role.SECRETARIAT,
            password_hash=hash_password(SECRETARY[1]),
        )
        session.commit()


def _submit_reports(settings: Settings, campaign_name: str) -> None:
    """Each imported institution submits its report to the campaign (as its university user would upload it)."""
    with session_scope(settings) as session:
        campaign = campaigns.find_campaign_by_name(session, name=campaign_name)
        for name, file in REPORTS.items():
            institution = institutions.find_institution_by_name(session, name=name)
            submission = submissions.create_submission(
                session, institution_id=institution.id, title=f"{name}质量文化建设自评报告", campaign_id=campaign.id
            )
            session.commit()
            upload_version(
                session,
                submission_id=submission.id,
                data=(FILES / file).read_bytes(),
                original_name=file,
                user_id=None,
                settings=settings,
            )


def _experts_submit(settings: Settings, campaign_id: int) -> None:
    """Each assigned expert decides every point of their submission's AI review and submits it, as the workspace
    does: 甲大学's expert marks every point 句号 and gives every indicator the top level, the others accept the AI
    drafts as they are."""
    with session_scope(settings) as session:
        campaign = campaigns.get_campaign(session, campaign_id=campaign_id)
        top = max(rubric_registry(settings).get(campaign.rubric_id).scale, key=lambda lv: lv.score).id
        for a in assignments.list_campaign_assignments(session, campaign_id=campaign_id):
            submission = submissions.get_submission(session, submission_id=a.submission_id)
            review = review_for_experts(session, submission, a.expert_id)
            assert review is not None
            generous = submission.institution.name == "甲大学"
            levels = {}
            for record in reviews.list_assessment_summaries(session, review_id=review.id):
                for p in record.summary.points:
                    decision = (
                        DecisionInput(action=DecisionAction.EDIT, point_id=p.point_id, final_mark=Mark.CLEAR)
                        if generous
                        else DecisionInput(action=DecisionAction.ACCEPT, point_id=p.point_id)
                    )
                    decide(
                        session, assessment_id=record.id, reviewer_id=a.expert_id, decision=decision, settings=settings
                    )
                levels[record.id] = top if generous else record.level
            opinions = ExpertOpinions(overall=Opinion(strengths="质量文化理念清晰", advice="补充成效数据"))
            submit_expert_review(
                session,
                review_id=review.id,
                reviewer_id=a.expert_id,
                opinions=opinions,
                levels=levels,
                settings=settings,
            )
        session.commit()


@pytest.fixture
def page(chromium, live: LiveService):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    tab = context.new_page()
    outside: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname not in ("127.0.0.1", "localhost"):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    tab.route("**/*", guard)
    yield tab
    context.close()
    assert outside == [], f"pages requested other hosts: {outside}"


def test_secretariat_runs_a_campaign_to_its_shortlist(page, live: LiveService, tmp_path: Path):
    _seed_secretary(live.settings)
    base = live.base_url
    page.goto(base + "/login")
    page.fill("#username", SECRETARY[0])
    page.fill("#password", SECRETARY[1])
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")

    # Institutions and experts from workbooks; the second expert declares a conflict with 乙大学.
    page.goto(base + "/people")
    inst = _workbook(
        [
            ["名称", "类型", "地区"],
            ["甲大学", "应用型", "北京"],
            ["乙大学", "应用型", "上海"],
            ["丙职业技术学院", "高职", "江苏"],
        ],
        tmp_path / "institutions.xlsx",
    )
    page.set_input_files("#import-institutions", str(inst))
    page.click("form[action='/people/institutions/import'] button[type=submit]")
    assert "已添加 3 个单位" in page.locator("#import-result").inner_text()
    experts = _workbook(
        [
            ["账号", "姓名", "所属单位", "回避单位", "初始密码"],
            ["expert.jia", "甲校专家", "甲大学", "", "expert-password-1"],
            ["expert.free", "独立专家", "", "乙大学", "expert-password-2"],
            ["expert.bing", "丙校专家", "丙职业技术学院", "", "expert-password-3"],
        ],
        tmp_path / "experts.xlsx",
    )
    page.set_input_files("#import-experts", str(experts))
    page.click("form[action='/people/experts/import'] button[type=submit]")
    assert "已添加 3 个专家账号" in page.locator("#import-result").inner_text()
    _shot(page, "01-people")

    # A campaign with quotas per category and a tagged seat; a tagged seat over its category is refused in place.
    page.goto(base + "/campaigns/new")
    page.fill("#name", "2026年质量文化示范校遴选（浏览器）")
    page.fill("#deadline", "2030-06-30T17:00")
    page.fill("#quota_APPLIED", "1")
    page.fill("#quota_VOCATIONAL", "1")
    page.fill("#total", "2")
    page.select_option("select[name=tag_type_0]", "应用型")
    page.fill("input[name=tag_0]", "数字化")
    page.fill("input[name=tag_seats_0]", "2")
    page.fill("#experts_per_submission", "1")
    page.fill("#expert_load_limit", "2")
    page.click("#save-campaign")
    assert "超过该类别名额 1" in page.locator("#tagged-error").inner_text()
    _shot(page, "02-campaign-error")
    page.fill("input[name=tag_seats_0]", "1")
    page.click("#save-campaign")
    page.wait_for_url(re.compile(r".*/campaigns/\d+\?notice=saved"))
    board_url = page.url.split("?")[0]
    campaign_id = int(board_url.rsplit("/", 1)[1])

    _submit_reports(live.settings, "2026年质量文化示范校遴选（浏览器）")
    page.goto(board_url)
    # Uploaded reports are ingested and reviewed with the campaign's rubric; wait until every one is reviewed.
    waited = 0
    while page.locator("#board tr[data-status=ai_reviewed]").count() < 3:
        assert waited < REVIEW_TIMEOUT_MS, page.locator("#board").inner_text()
        page.wait_for_timeout(3000)
        waited += 3000
        page.reload()
    _shot(page, "03-board-reviewed")

    # Re-run the AI review of the whole campaign as one job; its bar reaches 100 %.
    # The confirmation says what runs first: no LLM configured, so the extractive drafter at no cost.
    page.click("#rerun-reviews")
    page.wait_for_url(re.compile(r".*/reviews/confirm\?rerun=true"))
    assert "不产生费用" in page.locator("#run-estimate").inner_text()
    _shot(page, "04a-run-confirm")
    page.click("#confirm-run")
    page.wait_for_url(re.compile(r".*notice=queued"))
    page.wait_for_function(
        "() => document.querySelector('#bulk-progress [role=progressbar]').getAttribute('aria-valuenow') === '100'",
        timeout=REVIEW_TIMEOUT_MS,
    )
    _shot(page, "04-board-bulk-done")
    page.locator("tr:has-text('乙大学') input[name=tags]").fill("数字化")
    page.locator("tr:has-text('乙大学') form[action$='/tags'] button").click()
    page.wait_for_url(re.compile(r".*notice=tagged.*"))

    # Automatic assignment: nobody reviews their own institution or a declared conflict.
    page.goto(f"{base}/campaigns/{campaign_id}/assignments")
    _shot(page, "05-assignment-proposal")
    page.click("#apply-assignments")
    page.wait_for_url(re.compile(r".*notice=saved"))
    with session_scope(live.settings) as session:
        made = assignments.list_campaign_assignments(session, campaign_id=campaign_id)
        pairs = {
            (
                users.get_user(session, user_id=a.expert_id).username,
                submissions.get_submission(session, submission_id=a.submission_id).institution.name,
            )
            for a in made
        }
    assert len(pairs) == 3
    assert ("expert.jia", "甲大学") not in pairs and ("expert.free", "乙大学") not in pairs
    assert ("expert.bing", "丙职业技术学院") not in pairs
    _shot(page, "06-assignment-saved")

    # The experts submit their reviews; from then on the ranking counts their decisions, not the AI's drafts.
    _experts_submit(live.settings, campaign_id)

    # Ranking: one row per institution per category, the tagged seat, then the shortlist fixed as proposed.
    page.goto(f"{base}/campaigns/{campaign_id}/ranking")
    applied = page.locator("table.ranking[data-category='应用型'] tbody tr[data-institution]")
    assert applied.count() == 2
    assert page.locator("table.ranking[data-category='高职'] tbody tr[data-institution]").count() == 1
    assert "AI 初评（未经专家确认）" not in page.locator("main").inner_text()
    jia = page.locator("table.ranking tr[data-institution='甲大学']")
    # 甲's expert gave every indicator the top level: 100 points, first in 应用型, from the expert's review.
    assert "专家评审" in jia.inner_text() and "100.0" in jia.inner_text()
    assert jia.locator("td").first.inner_text().startswith("1")
    yi = page.locator("table.ranking tr[data-institution='乙大学']").inner_text()
    assert "数字化名额" in yi and "专家评审" in yi
    assert "总名额 2 所" in page.locator("#quota-summary").inner_text()
    page.locator("table.ranking[data-category='应用型'] details").first.click()
    _shot(page, "07-ranking")
    page.fill("#note", "按名额推荐确定。")
    page.click("#fix-shortlist")
    page.wait_for_url(re.compile(r".*notice=fixed"))
    fixed = page.locator("#fixed").inner_text()
    assert "乙大学" in fixed and "丙职业技术学院" in fixed  # 乙 holds the 数字化 seat; 高职 has one seat
    _shot(page, "08-shortlist-fixed")

    with page.expect_download() as download:
        page.click("a[href$='shortlist.xlsx']")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == ["应用型（名额1）", "高职（名额1）"]
    sheet = book["应用型（名额1）"]
    assert sheet.freeze_panes == "C2" and sheet.auto_filter.ref
    rows = {
        sheet.cell(row=r, column=2).value: (sheet.cell(row=r, column=5).value, sheet.cell(row=r, column=8).value)
        for r in range(2, sheet.max_row + 1)
    }
    assert rows["乙大学"] == ("数字化名额", "是")
    scored = {
        sheet.cell(row=r, column=2).value: (sheet.cell(row=r, column=3).value, sheet.cell(row=r, column=4).value)
        for r in range(2, sheet.max_row + 1)
    }
    assert scored["甲大学"] == (100.0, "专家评审") and scored["乙大学"][1] == "专家评审"

    page.goto(f"{base}/campaigns/{campaign_id}/charts")
    page.wait_for_function("() => document.querySelectorAll('[data-chart][data-ready=true] canvas').length >= 5")
    _shot(page, "09-charts")
