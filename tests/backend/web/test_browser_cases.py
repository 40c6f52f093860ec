"""Cases in Debian's Chromium against a live `ciqa serve`: a university files a case (category, theme tags) in a
case campaign and uploads it as DOCX; ingest and the AI pre-review with the case-selection rubric run in the
worker; another school's copy is found by the secretariat's 案例查重, shown side by side with the shared passages
highlighted, and marked 重复; the university files a second case, and the ranking ranks and seats each case on its
own (both of the university's cases on the shortlist). Screenshots under var/screenshots/cases-*."""

from __future__ import annotations

import random
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from backend.db.models import CampaignQuotas, JobKind, JobStatus
from backend.db.queries import campaigns, duplicates, institutions, jobs, submissions
from backend.db.session import session_scope
from backend.domain.enums import InstitutionType, SubmissionKind
from backend.ingest.flows import upload_version
from corpus.cases import case_docx, generate_case, verbatim_copy
from tests.backend.web.live import SCREENSHOTS, LiveService

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CAMPAIGN = "2026年质量保障优秀案例征集"
INGEST_TIMEOUT_MS = 300_000


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"cases-{name}.png"), full_page=True)


@pytest.fixture
def page(chromium, live: LiveService):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
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


def _login(page, base: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _file_case(page, title: str, docx: Path, shot: str | None = None) -> None:
    """The logged-in university files a case through the form (``shot``: screenshot of the filled form) and uploads
    its DOCX."""
    page.fill("#title", title)
    page.select_option("#campaign_id", label=CAMPAIGN)
    page.fill("#case_category", "质量文化建设")
    page.fill("#theme_tags", "闭环改进、学生参与")
    if shot:
        _shot(page, shot)
    page.click("form[action='/submissions'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/submissions/\d+$"))
    assert "选择案例正文（新版本）" in page.content()
    page.set_input_files("#main-file", str(docx))
    page.click("button[type=submit]:has-text('开始上传')")


def _wait_reviewed(page, live: LiveService, campaign_id: int, count: int) -> None:
    """Wait until ``count`` cases are ingested and pre-reviewed by the worker."""
    waited = 0
    while True:
        with session_scope(live.settings) as session:
            ready = duplicates.latest_ready_cases(session, campaign_ids=[campaign_id])
            reviewed = [
                jobs.latest_job(session, kind=JobKind.REVIEW, version_id=v.id, rubric_id="case-selection")
                for v in ready
            ]
            states = [j.status for j in reviewed if j is not None]
        assert JobStatus.FAILED not in states, live.log.read_text("utf-8", "replace")[-3000:]
        if len(ready) == count and states == [JobStatus.SUCCEEDED] * count:
            return
        assert waited < INGEST_TIMEOUT_MS, live.log.read_text("utf-8", "replace")[-3000:]
        page.wait_for_timeout(2000)
        waited += 2000


def test_case_filed_reviewed_and_its_copy_marked(page, live: LiveService, tmp_path: Path):
    base = live.base_url
    original = generate_case(41)
    with session_scope(live.settings) as session:
        campaigns.create_campaign(session, name=CAMPAIGN, rubric_id="case-selection", kind=SubmissionKind.CASE)
        session.commit()

    # The university files its case through the form and uploads the DOCX.
    docx = tmp_path / "案例.docx"
    docx.write_bytes(case_docx(original))
    _login(page, base, live.username, live.password)
    _file_case(page, original.title, docx, shot="01-university-new-case")

    # Another school hands in a copy (as its own user would upload it).
    with session_scope(live.settings) as session:
        campaign = campaigns.find_campaign_by_name(session, name=CAMPAIGN)
        other = institutions.create_institution(session, name="抄写学院", type=InstitutionType.APPLIED)
        copy = verbatim_copy(original, random.Random(3), "copy")
        sub = submissions.create_submission(
            session, institution_id=other.id, title=copy.title, campaign_id=campaign.id, created_by=None
        )
        session.commit()
        upload_version(
            session,
            submission_id=sub.id,
            data=case_docx(copy),
            original_name="抄写学院案例.docx",
            user_id=None,
            settings=live.settings,
        )
        campaign_id = campaign.id

    # Ingest and the AI pre-review with the case-selection rubric run in the worker.
    _wait_reviewed(page, live, campaign_id, 2)
    page.goto(base + "/")
    _shot(page, "02-university-home")
    assert page.locator("text=查看详情").count() >= 1

    # The secretariat finds the pair, reads it side by side and marks it 重复.
    _login(page, base, live.secretariat, live.password)
    page.goto(f"{base}/campaigns/{campaign_id}/duplicates")
    rows = page.locator("#duplicate-pairs tbody tr")
    assert rows.count() == 1 and "文字重合" in rows.first.inner_text() and "未判定" in rows.first.inner_text()
    _shot(page, "03-duplicates")
    rows.first.locator("a", has_text="比对原文").click()
    page.wait_for_url(re.compile(r".*/duplicates/\d+/\d+$"))
    assert page.locator(".pair-text").count() == 2
    assert page.locator(".pair-text mark").count() >= 4
    left, right = page.locator(".pair-text").nth(0).bounding_box(), page.locator(".pair-text").nth(1).bounding_box()
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2
    _shot(page, "04-pair")
    page.check("input[name=verdict][value=duplicate]")
    page.fill("#note", "正文整段相同，仅校名不同")
    page.click("#save-verdict")
    page.wait_for_url(re.compile(r".*notice=marked"))
    assert "正文整段相同" in page.locator("#verdict-history").inner_text()
    _shot(page, "05-pair-marked")
    page.goto(f"{base}/campaigns/{campaign_id}/duplicates")
    assert "重复" in page.locator("#duplicate-pairs tbody tr").first.inner_text()
    with session_scope(live.settings) as session:
        filed = [s for s in submissions.list_submissions(session, campaign_id=campaign_id) if s.case_category]
        assert [(s.case_category, s.theme_tags) for s in filed] == [("质量文化建设", ("闭环改进", "学生参与"))]

    # The university files a second, different case: each of its cases is ranked and seated on its own.
    second = generate_case(42)
    second_docx = tmp_path / "第二个案例.docx"
    second_docx.write_bytes(case_docx(second))
    _login(page, base, live.username, live.password)
    _file_case(page, second.title, second_docx)
    _wait_reviewed(page, live, campaign_id, 3)
    with session_scope(live.settings) as session:
        campaign = campaigns.find_campaign_by_name(session, name=CAMPAIGN)
        campaign.quotas = CampaignQuotas(by_type={InstitutionType.APPLIED: 2})
        session.commit()
        own = {s.title: s.id for s in submissions.list_submissions(session, campaign_id=campaign_id) if s.case_category}
    assert set(own) == {original.title, second.title}
    _login(page, base, live.secretariat, live.password)
    page.goto(f"{base}/campaigns/{campaign_id}/ranking")
    rows = page.locator(f'table.ranking tbody tr[data-institution="{live.institution}"]')
    assert rows.count() == 2 and {rows.nth(i).locator(".case-title").inner_text() for i in range(2)} == set(own)
    assert "名额 2 个 · 已排名 3 个" in page.locator("h2", has_text="应用型").inner_text()
    _shot(page, "06-ranking")
    for sid in own.values():
        page.check(f'tr[data-submission="{sid}"] input[name=chosen]')
    page.uncheck('tr[data-institution="抄写学院"] input[name=chosen]')
    page.fill("#note", "本校两个案例均入选")
    page.click("#fix-shortlist")
    page.wait_for_url(re.compile(r".*notice=fixed"))
    fixed = page.locator("#fixed").inner_text()
    assert "已确定的入围名单（2 个）" in fixed and all(f"{t}（{live.institution}）" in fixed for t in own)
    _shot(page, "07-shortlist-fixed")
