"""The diagnosis pages: start a round, save a draft, submit (incomplete answers are shown again, not lost), read
the result with its cross-check and download the Word report; each page per role and tenant."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from sqlalchemy import update

from backend.config import Settings
from backend.db.models import DocumentRole, Job, ParseStats, ReviewRecord
from backend.db.queries import submissions, versions
from tests.backend.api.conftest import World
from tests.backend.diagnosis.world import CONCRETE, answers, store_evidence_review

pytestmark = pytest.mark.unit

STATS = ParseStats(blocks=1, chunks=1, chars=9, tables=0)


def _form(client, **fields: str | list[str]) -> dict[str, str | list[str]]:
    return {"csrf_token": client.cookies.get("ciqa_csrf"), **fields}


def _start(client) -> int:
    response = client.post("/diagnosis", data=_form(client, title="2026年诊断"))
    assert response.status_code == 303, response.text
    return int(re.match(r"/diagnosis/(\d+)/questionnaire", response.headers["location"]).group(1))


def _levels(settings: Settings, default: str, **levels: str) -> dict[str, str]:
    return {f"level_{a.point_id}": a.level for a in answers(settings, default, **levels)}


def test_a_university_fills_saves_submits_and_reads_the_result(browser_as, world: World, settings, db):
    store_evidence_review(db, version_id=world.own.version2_id)
    uni = browser_as("university")
    home = uni.get("/")
    assert 'href="/diagnosis"' in home.text and "质量文化诊断" in home.text
    assert "尚无以本指标体系" not in uni.get("/diagnosis").text  # the stored review is the evidence
    diagnosis_id = _start(uni)
    page = uni.get(f"/diagnosis/{diagnosis_id}/questionnaire")
    assert page.status_code == 200 and page.text.count('class="panel question"') == 26
    assert "1.1.1 学校确立以学生中心" in page.text

    entered = {"level_1.1.1": "C", "comment_1.1.1": "章程第五条", "docs_1.1.1": [str(world.own.version_id)]}
    draft = _form(uni, role="qa_office", action="draft", **entered)
    saved = uni.post(f"/diagnosis/{diagnosis_id}/questionnaire", data=draft)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    again = uni.get(saved.headers["location"]).text
    assert "草稿已保存" in again and "章程第五条" in again
    assert re.search(r'name="level_1\.1\.1" value="C" checked', again)

    incomplete = uni.post(f"/diagnosis/{diagnosis_id}/questionnaire", data={**draft, "action": "submit"})
    assert incomplete.status_code == 422
    assert "还有 25 个审核重点未自评" in incomplete.text and "章程第五条" in incomplete.text

    complete = _form(uni, role="qa_office", action="submit", **_levels(settings, "B", p1_1_1="D", p1_1_2="A"))
    complete["docs_1.1.2"] = [str(world.own.version_id)]
    done = uni.post(f"/diagnosis/{diagnosis_id}/questionnaire", data=complete)
    assert done.status_code == 303 and done.headers["location"] == f"/diagnosis/{diagnosis_id}"
    result = uni.get(f"/diagnosis/{diagnosis_id}").text
    assert "自评偏高" in result and "自评偏低" in result and CONCRETE[:40] in result
    assert 'data-chart="radar"' in result and "/static/echarts.min.js" in result
    assert "满 5 所后显示匿名均值" in result
    assert "关联材料：报告.txt" in result

    report = uni.get(f"/diagnosis/{diagnosis_id}/report.docx")
    assert report.status_code == 200 and report.headers["content-type"].startswith("application/vnd.openxml")
    text = "\n".join(p.text for p in Document(io.BytesIO(report.content)).paragraphs)
    assert "质量文化建设诊断报告" in text and "三、薄弱环节与改进建议" in text and CONCRETE[:40] in text
    assert "自评偏高" in text and "关联材料：报告.txt" in text


PAGES = ("/diagnosis/{id}", "/diagnosis/{id}/questionnaire", "/diagnosis/{id}/report.docx")


def test_pages_per_role_and_tenant(browser_as, anonymous, world: World):
    uni = browser_as("university")
    diagnosis_id = _start(uni)
    other = browser_as("other-university")
    for path in PAGES:
        url = path.format(id=diagnosis_id)
        assert uni.get(url).status_code == 200, url
        assert other.get(url).status_code == 404, url
        assert anonymous.get(url).status_code == 303, url
    assert other.post(f"/diagnosis/{diagnosis_id}/questionnaire", data=_form(other, role="school")).status_code == 404
    theirs = other.get("/diagnosis").text
    assert f'href="/diagnosis/{diagnosis_id}"' not in theirs
    for role in ("expert", "secretariat", "admin"):
        client = browser_as(role)
        assert client.get("/diagnosis").status_code == 403, role
        assert client.get(f"/diagnosis/{diagnosis_id}").status_code == 403, role
        assert client.post("/diagnosis", data=_form(client)).status_code == 403, role
    secretariat = browser_as("secretariat")
    bench = secretariat.get("/secretariat/diagnosis")
    assert bench.status_code == 200 and "不足 5 所" in bench.text and "甲大学" not in bench.text
    assert uni.get("/secretariat/diagnosis").status_code == 403


def test_writes_need_the_csrf_token(browser_as):
    uni = browser_as("university")
    assert uni.post("/diagnosis", data={"title": "x"}).status_code == 403


def test_no_reviewed_evidence_offers_the_review_of_an_uploaded_report(browser_as, world: World, published, db):
    # The world's reviews (and their jobs) are of the quality-culture rubric; here the institution has none.
    mine = [world.own.version_id, world.own.version2_id]
    db.execute(update(ReviewRecord).where(ReviewRecord.version_id.in_(mine)).values(rubric_id="other-rubric"))
    db.execute(update(Job).where(Job.version_id.in_(mine)).values(rubric_id="other-rubric"))
    db.commit()
    uni = browser_as("university")
    page = uni.get("/diagnosis").text
    assert "尚无以本指标体系完成 AI 初审的材料" in page and "开始 AI 初审" in page
    queued = uni.post("/diagnosis/evidence-review", data=_form(uni, version_id=str(world.own.version2_id)))
    assert queued.status_code == 303 and queued.headers["location"] == f"/submissions/{world.own.submission_id}"
    assert published[-1][1].value == "review"
    # Queued, the review is not offered a second time; its progress is on the submission page.
    page = uni.get("/diagnosis").text
    assert "正在按本指标体系进行 AI 初审" in page and f'<option value="{world.own.version2_id}">' not in page
    other = browser_as("other-university")
    refused = other.post("/diagnosis/evidence-review", data=_form(other, version_id=str(world.own.version2_id)))
    assert refused.status_code == 404


def test_an_evidence_file_is_kept_as_supporting_material_and_becomes_linkable(browser_as, world: World, db):
    uni = browser_as("university")
    files = {"file": ("党委会议纪要.txt", "2025年党委常委会专题研究质量文化建设。".encode())}
    sent = uni.post("/diagnosis/evidence", data=_form(uni), files=files)
    assert sent.status_code == 303
    submission_id = int(sent.headers["location"].rsplit("/", 1)[1])
    stored = versions.list_versions(db, submission_id=submission_id)
    assert [(v.original_name, v.role) for v in stored] == [("党委会议纪要.txt", DocumentRole.SUPPORTING)]
    assert submissions.get_submission(db, submission_id=submission_id).title == "质量文化诊断证据材料"
    # A second file lands in the same submission; once processed, both are offered in the questionnaire.
    second = {"file": ("督导报告.txt", "督导听课120次。".encode())}
    again = uni.post("/diagnosis/evidence", data=_form(uni), files=second)
    assert again.headers["location"] == sent.headers["location"]
    for v in versions.list_versions(db, submission_id=submission_id):
        versions.mark_version_ready(db, version_id=v.id, media_type="text/plain", pages=None, stats=STATS)
    db.commit()
    form = uni.get(f"/diagnosis/{_start(uni)}/questionnaire").text
    assert "党委会议纪要.txt（质量文化诊断证据材料）" in form and "督导报告.txt" in form
    assert browser_as("other-university").get(sent.headers["location"]).status_code == 404
    expert = browser_as("expert")
    assert expert.post("/diagnosis/evidence", data=_form(expert), files=files).status_code == 403
