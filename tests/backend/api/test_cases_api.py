"""The case campaign API on real ingested DOCX cases: near-duplicate pairs, a pair's shared segments, verdicts
(history and audit trail), and the 案例集 downloads before and after the shortlist is fixed."""

from __future__ import annotations

import io
from urllib.parse import quote

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.queries import audit, campaigns, submissions
from backend.domain.enums import InstitutionType
from backend.selection.exports import DOCX_TYPE, XLSX_TYPE
from backend.selection.shortlist import campaign_shortlist, fix_shortlist
from tests.backend.api.conftest import World, bearer, stored_review
from tests.backend.selection.case_world import CaseWorld, make_case_world


@pytest.fixture
def cw(db: Session, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch) -> CaseWorld:
    return make_case_world(db, settings, monkeypatch)


@pytest.fixture
def secretariat(client: TestClient, world: World) -> TestClient:
    client.headers.update(bearer(world, "secretariat"))
    return client


def _pairs(client: TestClient, campaign_id: int) -> dict[tuple[int, int], dict]:
    response = client.get(f"/api/campaigns/{campaign_id}/duplicates")
    assert response.status_code == 200, response.text
    return {(p["a"]["version_id"], p["b"]["version_id"]): p for p in response.json()}


def test_list_finds_the_planted_copies(secretariat: TestClient, cw: CaseWorld):
    pairs = _pairs(secretariat, cw.campaign_id)
    assert set(pairs) == {(cw.original, cw.copy), (cw.earlier, cw.earlier_copy)}
    copy = pairs[(cw.original, cw.copy)]
    assert copy["signal"] == "text" and copy["signal_zh"] == "文字重合" and copy["containment"] > 0.9
    assert copy["verdict"] is None and copy["verdict_zh"] is None
    assert (copy["a"]["institution"], copy["b"]["institution"]) == ("甲学院", "乙学院")
    assert copy["a"]["submission_id"] == cw.submissions["original"]
    assert copy["a"]["campaign_id"] == cw.campaign_id and copy["a"]["campaign_name"] == "2026年优秀案例征集"
    assert pairs[(cw.earlier, cw.earlier_copy)]["a"]["campaign_name"] == "2025年优秀案例征集"


def test_pair_shows_segments_shared_by_both_cases(secretariat: TestClient, cw: CaseWorld):
    # Asked in either order, the pair comes lower version first.
    response = secretariat.get(f"/api/campaigns/{cw.campaign_id}/duplicates/{cw.copy}/{cw.original}")
    assert response.status_code == 200, response.text
    pair = response.json()
    assert (pair["a"]["version_id"], pair["b"]["version_id"]) == (cw.original, cw.copy)
    text_a = "".join(s["text"] for s in pair["a_segments"])
    text_b = "".join(s["text"] for s in pair["b_segments"])
    shared = [s["text"] for s in pair["a_segments"] if s["shared"] and len(s["text"]) > 50]
    assert shared and all(s in text_a and s in text_b for s in shared)
    assert any(not s["shared"] for s in pair["a_segments"]), "the copy changed the school's name"
    assert pair["a_shared"] > 0.8 and pair["b_shared"] > 0.8 and pair["marks"] == []
    unrelated = secretariat.get(f"/api/campaigns/{cw.campaign_id}/duplicates/{cw.original}/{cw.unrelated}").json()
    assert unrelated["a_shared"] < 0.3


def test_verdict_changes_the_list_and_is_kept_in_history_and_audit(
    secretariat: TestClient, db: Session, world: World, cw: CaseWorld
):
    verdict = f"/api/campaigns/{cw.campaign_id}/duplicates/{cw.copy}/{cw.original}/verdict"
    first = secretariat.post(verdict, json={"verdict": "duplicate", "note": " 整段照抄 "})
    assert first.status_code == 201, first.text
    mark = first.json()
    # Who marked is a user id, as on the page: no account details.
    assert set(mark) == {"id", "campaign_id", "version_a_id", "version_b_id", "verdict", "verdict_zh", "note",
                         "marked_by", "marked_at"}  # fmt: skip
    assert (mark["version_a_id"], mark["version_b_id"]) == (cw.original, cw.copy)
    assert (mark["verdict"], mark["verdict_zh"], mark["note"]) == ("duplicate", "重复", "整段照抄")
    assert mark["marked_by"] == world.user_ids["secretariat"] and mark["campaign_id"] == cw.campaign_id
    assert _pairs(secretariat, cw.campaign_id)[(cw.original, cw.copy)]["verdict"] == "duplicate"

    second = secretariat.post(verdict, json={"verdict": "not_duplicate"})
    assert second.status_code == 201
    pair = _pairs(secretariat, cw.campaign_id)[(cw.original, cw.copy)]
    assert (pair["verdict"], pair["verdict_zh"]) == ("not_duplicate", "非重复")
    pair_path = f"/api/campaigns/{cw.campaign_id}/duplicates/{cw.original}/{cw.copy}"
    history = secretariat.get(pair_path).json()["marks"]
    assert [(m["verdict"], m["note"]) for m in history] == [("not_duplicate", ""), ("duplicate", "整段照抄")]
    assert history[1]["marked_at"] == mark["marked_at"]
    events = audit.list_events(db, object_type="campaign", object_id=cw.campaign_id)
    marks = [e for e in events if e.action == "duplicate.mark"]
    assert len(marks) == 2 and all(e.actor_id == world.user_ids["secretariat"] for e in marks)
    assert any(e.detail.endswith(": duplicate") for e in marks)

    refused = secretariat.post(verdict, json={"verdict": "maybe"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_input" and refused.json()["message"] == "请求参数无效，请检查后重试。"
    assert len(secretariat.get(pair_path).json()["marks"]) == 2


def test_report_campaign_and_pairs_outside_the_campaign_are_not_found(
    secretariat: TestClient, world: World, cw: CaseWorld
):
    for path in ("duplicates", "case-collection.docx", "case-collection.xlsx"):
        response = secretariat.get(f"/api/campaigns/{world.campaign_id}/{path}")
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
        assert "优秀案例活动" in response.json()["message"]
    # The earlier campaign does not compare against later ones.
    outside = f"/api/campaigns/{cw.earlier_campaign_id}/duplicates/{cw.earlier}/{cw.original}"
    assert secretariat.get(outside).status_code == 404
    assert secretariat.post(f"{outside}/verdict", json={"verdict": "duplicate"}).status_code == 404


def test_case_collection_is_refused_until_the_shortlist_is_fixed(
    secretariat: TestClient, db: Session, settings: Settings, world: World, cw: CaseWorld
):
    base = f"/api/campaigns/{cw.campaign_id}/case-collection"
    for suffix in (".docx", ".xlsx"):
        early = secretariat.get(base + suffix)
        assert early.status_code == 409 and early.json()["code"] == "conflict"
        assert early.json()["message"] == "入围名单尚未确定，请先在“排名与入围”中确定入选案例。"

    # Two reviewed cases tie; the quota of one 应用型 seat proposes the first filed, which the secretariat fixes.
    for version_id in (cw.original, cw.unrelated):
        stored_review(db, version_id=version_id, rubric_id="case-selection")
    campaign = campaigns.get_campaign(db, campaign_id=cw.campaign_id)
    campaign.quotas = campaign.quotas.model_copy(update={"by_type": {InstitutionType.APPLIED: 1}})
    original = submissions.get_submission(db, submission_id=cw.submissions["original"])
    shortlist = campaign_shortlist(db, campaign=campaign, settings=settings)
    fix_shortlist(
        db,
        shortlist=shortlist,
        chosen={original.id},  # a case campaign seats cases: submission ids
        note="",
        user_id=world.user_ids["secretariat"],
        now=utcnow(),
    )
    db.commit()

    docx = secretariat.get(base + ".docx")
    assert docx.status_code == 200 and docx.headers["content-type"] == DOCX_TYPE
    assert quote(f"{campaign.name}案例集.docx") in docx.headers["content-disposition"]
    doc = Document(io.BytesIO(docx.content))
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == [f"案例1  {original.title}"]
    unrelated = submissions.get_submission(db, submission_id=cw.submissions["unrelated"])
    assert not any(unrelated.title in p.text for p in doc.paragraphs)

    xlsx = secretariat.get(base + ".xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX_TYPE
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == [original.title] and rows[1][2] == "甲学院"
