"""The expert's workspace over HTTP (TestClient on the API tests' world): decisions as htmx fragments with
refusals beside the form, per-expert decisions, attached quotes checked verbatim, submission (read-only after,
counted in the ranking), what a university sees before and after, the audit trail, agreement and its export.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from backend.db.base import BEIJING, utcnow
from backend.db.models import AuditEvent
from backend.db.queries import assignments, campaigns, chunks
from indexing.models import Chunk as IndexedChunk
from tests.backend.api.conftest import World, bearer, stored_review
from tests.backend.web.conftest import csrf
from tests.factories import QUOTE

HX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Target:
    """The AI review experts work on: the newest review of the submission's newest report version."""

    review_id: int
    assessment_id: int


@pytest.fixture
def target(world: World, db: Session) -> Target:
    """A fresh review (破折号, level C) of the own submission's second version: what the expert reviews."""
    return Target(*stored_review(db, version_id=world.own.version2_id))


CHUNK_TEXT = f"一、质量文化\n{QUOTE}，并建立了年度质量报告制度。学校每年发布本科教学质量报告。"


def _decide(client: TestClient, target: Target, **form: str):
    url = f"/expert/assessments/{target.assessment_id}/points/p1/decision"
    return client.post(url, data=form, headers=csrf(client) | HX)


@pytest.fixture
def second_expert(browser_as, world: World, db: Session) -> TestClient:
    """The spare expert, assigned to the same submission."""
    assignments.assign_expert(db, expert_id=world.spare_expert_id, submission_id=world.own.submission_id)
    db.commit()
    world.usernames["spare-expert"] = "spare-expert"
    return browser_as("spare-expert")


def test_home_lists_assignments_with_progress_and_status(browser_as, world: World, target: Target):
    expert = browser_as("expert")
    page = expert.get("/").text
    assert "甲大学" in page and "未开始" in page and "0 / 1" in page
    assert _decide(expert, target, action="accept").status_code == 200
    page = expert.get("/").text
    assert "进行中" in page and "1 / 1" in page and f"/expert/reviews/{target.review_id}" in page


def test_workspace_shows_the_draft_and_decisions_swap_in_as_fragments(browser_as, world: World, target: Target):
    expert = browser_as("expert")
    page = expert.get(f"/expert/reviews/{target.review_id}")
    assert page.status_code == 200 and "j / k" in page.text and "破折号、问号优先" in page.text
    assert f'href="/submissions/{world.own.submission_id}/consistency"' in page.text  # 数据一致性 beside the review
    pane = expert.get(f"/expert/assessments/{target.assessment_id}/points/p1", headers=HX).text
    assert QUOTE in pane and "质量文化建设规划" in pane and "尚未决定" in pane  # quote, missing list, no decision

    refused = _decide(expert, target, action="reject", comment="  ")
    assert refused.status_code == 422
    reason_error = refused.text.split('id="reject-error"', 1)[1].split("</p>", 1)[0]
    assert "理由" in reason_error and 'class="decide-form open"' in refused.text

    edited = _decide(expert, target, action="edit", final_mark="clear", comment="现场核实", advice_zh="补充年度报告")
    assert edited.status_code == 200
    assert "已修改" in edited.text and "补充年度报告" in edited.text
    assert 'hx-swap-oob="true"' in edited.text and "已决定 <b>1</b>" in edited.text
    # The trail shows before → after.
    assert "AI 建议，破折号" in edited.text and "句号，意见：现场核实" in edited.text


def test_a_second_expert_sees_only_their_own_decisions(
    browser_as, world: World, target: Target, second_expert: TestClient
):
    first = browser_as("expert")
    assert _decide(first, target, action="edit", final_mark="clear", comment="甲专家意见").status_code == 200
    pane = second_expert.get(f"/expert/assessments/{target.assessment_id}/points/p1", headers=HX).text
    assert "尚未决定" in pane and "甲专家意见" not in pane
    assert "未开始" in second_expert.get("/").text
    api = second_expert.get(f"/api/assessments/{target.assessment_id}/decisions")
    assert api.status_code == 200 and api.json() == []
    assert "甲专家意见" not in second_expert.get(f"/reviews/{target.review_id}/audit").text


def test_attached_quotes_must_be_verbatim(browser_as, world: World, target: Target, db: Session):
    chunk = IndexedChunk(
        id="c1", document_id="d", ordinal=0, text=CHUNK_TEXT, heading_path=("一、质量文化",), page_start=3, page_end=3
    )
    chunks.replace_chunks(db, version_id=world.own.version2_id, chunks=[chunk])
    db.commit()
    expert = browser_as("expert")
    url = f"/expert/assessments/{target.assessment_id}/points/p1/evidence"
    wrong = expert.post(url, data={"chunk_key": "c1", "quote": "学校每年发布研究生质量报告"}, headers=csrf(expert) | HX)
    assert wrong.status_code == 422 and "逐字一致" in wrong.text
    right = expert.post(
        url, data={"chunk_key": "c1", "quote": "学校每年发布本科教学质量报告。"}, headers=csrf(expert) | HX
    )
    assert right.status_code == 200 and "我附加的证据（1）" in right.text and "第 3 页" in right.text
    assert "附加证据" in right.text  # in the point's trail


def test_submission_is_read_only_counts_in_ranking_and_reaches_the_university(
    browser_as, world: World, target: Target, anonymous: TestClient
):
    expert, university = browser_as("expert"), browser_as("university")
    review = target.review_id
    assert "专家尚未提交" in university.get(f"/reviews/{review}/experts").text
    # Not every point decided yet: refused beside the submit button.
    refused = expert.post(f"/expert/reviews/{review}/submit", data={"csrf_token": expert.cookies["ciqa_csrf"]})
    assert refused.status_code == 422 and "未作决定" in refused.text.split('id="submit-error"', 1)[1][:200]
    assert _decide(expert, target, action="edit", final_mark="clear", comment="证据充分").status_code == 200
    # Before submitting, the university sees no expert decision in the API either.
    assert (
        anonymous.get(f"/api/assessments/{target.assessment_id}", headers=bearer(world, "university")).json()[
            "decisions"
        ]
        == []
    )

    form = expert.get(f"/expert/reviews/{review}/submit").text
    assert "质量文化理念：证据充分（证据充分）。" in form  # prefilled from the decision
    done = expert.post(
        f"/expert/reviews/{review}/submit",
        data={
            "csrf_token": expert.cookies["ciqa_csrf"],
            "overall-strengths": "质量文化理念清晰",
            "overall-problems": "",
            "overall-advice": "持续发布质量报告",
            f"level-{target.assessment_id}": "A",
        },
    )
    assert done.status_code == 303
    assert "已提交" in expert.get("/").text
    again = _decide(expert, target, action="accept")
    assert again.status_code == 409 and "不能再修改" in again.text
    assert "do-accept" not in expert.get(f"/expert/assessments/{target.assessment_id}/points/p1", headers=HX).text

    results = university.get(f"/reviews/{review}/experts").text
    assert "质量文化理念清晰" in results and "专家 1" in results and ">expert<" not in results
    decided = anonymous.get(f"/api/assessments/{target.assessment_id}", headers=bearer(world, "university")).json()
    assert {(d["point_id"], d["final_mark"], d["final_level"]) for d in decided["decisions"]} == {
        ("p1", "clear", None),
        (None, None, "A"),
    }
    ranking = anonymous.get(f"/api/campaigns/{world.campaign_id}/ranking", headers=bearer(world, "secretariat")).json()
    applied = next(c for c in ranking["categories"] if c["category"] == "应用型")
    own = next(r for r in applied["rows"] if r["submission_id"] == world.own.submission_id)
    # The submitted review now ranks the submission by the expert's marks, not the AI's.
    assert own["source"] == "expert" and own["experts_counted"]
    assert own["clear_points"] == 1 and own["rank"] == 1 and own["review_id"] == review


def test_campaign_can_keep_expert_results_from_universities(browser_as, world: World, target: Target, db: Session):
    campaigns.get_campaign(db, campaign_id=world.campaign_id).expert_results_visible = False
    db.commit()
    expert, university = browser_as("expert"), browser_as("university")
    assert _decide(expert, target, action="accept").status_code == 200
    token = {"csrf_token": expert.cookies["ciqa_csrf"]}
    assert expert.post(f"/expert/reviews/{target.review_id}/submit", data=token).status_code == 303
    assert "专家尚未提交" in university.get(f"/reviews/{target.review_id}/experts").text


def test_audit_trail_and_agreement_for_the_secretariat(browser_as, world: World, target: Target, db: Session):
    expert, secretariat = browser_as("expert"), browser_as("secretariat")
    assert _decide(expert, target, action="accept").status_code == 200
    assert (
        _decide(expert, target, action="reject", comment="引文与审核重点无关", final_mark="verify_on_site").status_code
        == 200
    )
    trail = secretariat.get(f"/reviews/{target.review_id}/audit").text
    assert trail.count("<tr>") == 3 and "驳回 AI 建议" in trail and "引文与审核重点无关" in trail
    events = db.query(AuditEvent).filter(AuditEvent.object_type == "review_point").count()
    assert events == 2
    page = secretariat.get("/secretariat/agreement").text
    assert "1.1 质量理念" in page or "1.1" in page
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert ">0<" in row and ">1<" in row  # the accept was replaced by the reject: current decisions count
    export = secretariat.get("/secretariat/agreement.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    header, first = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert header[:3] == ["专家", "指标体系", "指标编号"] and first[2] == "1.1" and first[4:8] == [0, 0, 1, 1]


def test_after_the_review_deadline_the_expert_is_read_only_until_extended(
    browser_as, world: World, target: Target, db: Session
):
    expert, secretariat = browser_as("expert"), browser_as("secretariat")
    assert _decide(expert, target, action="accept").status_code == 200
    campaigns.get_campaign(db, campaign_id=world.campaign_id).review_due_at = utcnow() - dt.timedelta(minutes=5)
    db.commit()
    refused = _decide(expert, target, action="reject", comment="截止后")
    assert refused.status_code == 409 and "专家评审已于" in refused.text and "联系秘书处" in refused.text
    workspace = expert.get(f"/expert/reviews/{target.review_id}").text
    assert 'id="review-closed"' in workspace and "填写总体意见并提交" not in workspace
    assert "do-accept" not in expert.get(f"/expert/assessments/{target.assessment_id}/points/p1", headers=HX).text
    form = expert.get(f"/expert/reviews/{target.review_id}/submit").text
    assert 'id="review-closed"' in form and 'id="submit-review"' not in form
    token = {"csrf_token": expert.cookies["ciqa_csrf"]}
    late = expert.post(f"/expert/reviews/{target.review_id}/submit", data=token)
    assert late.status_code == 422 and "截止" in late.text.split('id="submit-error"', 1)[1][:200]
    # The secretariat extends it on the assignment page (a time already past is refused beside the field).
    url = f"/campaigns/{world.campaign_id}/review-due"
    past = secretariat.post(url, data={"review_due_at": "2020-06-30T17:00"}, headers=csrf(secretariat))
    assert past.status_code == 422 and "须晚于当前时间" in past.text.split('id="review_due_at-error"', 1)[1][:100]
    later = (utcnow() + dt.timedelta(days=2)).astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")
    done = secretariat.post(url, data={"review_due_at": later}, headers=csrf(secretariat))
    assert done.status_code == 303
    assert "专家评审截止时间已更新" in secretariat.get(done.headers["location"]).text
    assert _decide(expert, target, action="reject", comment="延期后").status_code == 200
    assert expert.post(f"/expert/reviews/{target.review_id}/submit", data=token).status_code == 303
    assert db.query(AuditEvent).filter_by(action="campaign.review_due").count() == 1
