"""质量文化建设诊断 over the API: questionnaire from the rubric, drafts and submission, several respondents, the
cross-check against the institution's AI review (quotes re-checked verbatim), the guide's advice, the category mean
from five institutions on, the change since the previous round, and who may see what."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.auth.tokens import issue_token
from backend.config import Settings
from backend.db.base import utcnow
from backend.db.models import Role, TokenKind
from backend.db.queries import institutions, users
from backend.diagnosis.flows import CATEGORY_MINIMUM, diagnosis_rubric
from backend.domain.enums import InstitutionType
from tests.backend.api.conftest import World, bearer
from tests.backend.diagnosis.world import CONCRETE, VAGUE, answers, diagnosed_institution, store_evidence_review

pytestmark = pytest.mark.unit


def _start(client: TestClient, headers: dict[str, str], title: str = "") -> int:
    response = client.post("/api/diagnoses", json={"title": title}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _put(client: TestClient, headers: dict[str, str], diagnosis_id: int, body: dict) -> object:
    return client.put(f"/api/diagnoses/{diagnosis_id}/response", json=body, headers=headers)


def _body(settings: Settings, default: str, *, role: str = "qa_office", submit: bool = True, **levels: str) -> dict:
    given = [a.model_dump(mode="json") for a in answers(settings, default, **levels)]
    return {"role": role, "answers": given, "submit": submit}


def _second_user(db: Session, world: World) -> dict[str, str]:
    """Another account of the 'own' institution (e.g. a 校领导), with its bearer header."""
    user = users.create_user(
        db, username="leader", display_name="王校长", role=Role.UNIVERSITY, institution_id=world.own.institution_id
    )
    token = issue_token(db, user_id=user.id, kind=TokenKind.API, ttl_s=3600, now=utcnow()).token
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def test_questionnaire_asks_every_review_point_on_the_rubric_scale(client, world, settings):
    diagnosis_id = _start(client, bearer(world, "university"))
    form = client.get(f"/api/diagnoses/{diagnosis_id}/questionnaire", headers=bearer(world, "university")).json()
    rubric = diagnosis_rubric(settings)
    asked = [q["point_id"] for d in form["dimensions"] for s in d["sections"] for q in s["questions"]]
    assert asked == [p.id for _, p in rubric.iter_points()]
    assert [d["name"] for d in form["dimensions"]] == ["理念认同", "制度建设", "实践推进", "成效表现"]
    assert [(o["id"], o["score"]) for o in form["scale"]] == [("A", 4.0), ("B", 3.0), ("C", 2.0), ("D", 1.0)]


def test_draft_is_kept_submission_needs_every_point_and_is_final(client, world, settings):
    own = bearer(world, "university")
    diagnosis_id = _start(client, own, "2026年诊断")
    draft = {"role": "leadership", "answers": [{"point_id": "1.1.1", "level": "B", "comment": "已写入章程"}]}
    saved = _put(client, own, diagnosis_id, draft)
    assert saved.status_code == 200, saved.text
    mine = client.get(f"/api/diagnoses/{diagnosis_id}/response", headers=own).json()
    assert (mine["status"], mine["role"], mine["answers"][0]["comment"]) == ("draft", "leadership", "已写入章程")

    refused = _put(client, own, diagnosis_id, {**draft, "submit": True})
    assert refused.status_code == 422
    assert "还有 25 个审核重点未自评" in refused.json()["message"]

    bad_level = _put(client, own, diagnosis_id, {"role": "school", "answers": [{"point_id": "1.1.1", "level": "E"}]})
    assert bad_level.status_code == 422 and "自评等级“E”无效" in bad_level.json()["message"]
    other_file = {"point_id": "1.1.1", "level": "A", "version_ids": [world.other.version_id]}
    foreign = _put(client, own, diagnosis_id, {"role": "school", "answers": [other_file]})
    assert foreign.status_code == 422 and "不是本校" in foreign.json()["message"]
    own_file = {"point_id": "1.1.1", "level": "A", "version_ids": [world.own.version_id]}
    assert _put(client, own, diagnosis_id, {"role": "school", "answers": [own_file]}).status_code == 200

    assert _put(client, own, diagnosis_id, _body(settings, "B")).status_code == 200
    mine = client.get(f"/api/diagnoses/{diagnosis_id}/response", headers=own).json()
    assert mine["status"] == "submitted" and len(mine["answers"]) == 26
    again = _put(client, own, diagnosis_id, _body(settings, "A"))
    assert again.status_code == 409 and "已提交" in again.json()["message"]


def test_result_aggregates_respondents_and_cross_checks_with_verified_quotes(client, world, settings, db):
    store_evidence_review(db, version_id=world.own.version2_id)
    own, leader = bearer(world, "university"), _second_user(db, world)
    diagnosis_id = _start(client, own)
    # The QA office rates everything B, the leadership A; both sell 1.1.1 short and oversell 1.1.2 and 2.1.1.
    low_high = {"p1_1_1": "D", "p1_1_2": "A", "p2_1_1": "A", "p1_2_1": "D"}
    assert _put(client, own, diagnosis_id, _body(settings, "B", **low_high)).status_code == 200
    assert _put(client, leader, diagnosis_id, _body(settings, "A", role="leadership", **low_high)).status_code == 200
    # A draft does not count.
    result = client.get(f"/api/diagnoses/{diagnosis_id}/result", headers=own).json()
    assert result["submitted"] == 2
    assert {(r["respondent"], r["role"]) for r in result["respondents"]} == {
        ("王校长", "leadership"),
        ("uni-1", "qa_office"),
    }
    points = {p["point_id"]: p for p in result["points"]}

    assert points["1.1.1"]["score"] == 1.0 and points["1.1.1"]["check"]["verdict"] == "underrated"
    assert points["1.1.1"]["check"]["quotes"][0] == {
        "document": "报告.txt", "page_start": 7, "page_end": 7, "text": CONCRETE[:40]
    }  # fmt: skip
    assert points["1.1.2"]["check"]["verdict"] == "overrated"
    assert "未在《报告.txt》中找到" in points["1.1.2"]["check"]["statement_zh"]
    assert points["1.1.2"]["check"]["quotes"] == []
    assert points["2.1.1"]["check"]["verdict"] == "overrated"
    assert points["2.1.1"]["check"]["quotes"][0]["text"] == VAGUE
    # The stored quote of 1.2.1 is not in the chunk: no claim that evidence exists.
    assert points["1.2.1"]["check"]["verdict"] == "unverified" and points["1.2.1"]["check"]["quotes"] == []
    assert points["3.1.1"]["check"]["verdict"] == "no_evidence"
    assert points["3.1.1"]["score"] == 3.5 and points["3.1.1"]["spread"] == 1.0

    # 1.1: (1 + 4) / 2; 1.2: (1 + 3.5) / 2; 1.3: 3.5 → 理念认同 = mean of the three 二级指标.
    indicators = {i["indicator_id"]: i["score"] for i in result["indicators"]}
    assert (indicators["1.1"], indicators["1.2"], indicators["1.3"]) == (2.5, 2.25, 3.5)
    assert result["dimensions"][0] == {"indicator_id": "1", "name": "理念认同", "depth": 1, "score": 2.75}
    # Weakest: the lowest self-ratings, an oversold one counted at what its evidence supports.
    assert result["weakest"][:4] == ["1.1.1", "1.1.2", "1.2.1", "2.1.1"]
    advice = points["1.1.2"]["advice"]
    assert advice["link"].startswith("ciqa-guide-2021:") and advice["recommendation_text"]
    assert result["evidence"]["document"] == "报告.txt"


def test_without_a_reviewed_upload_the_result_says_so(client, world, settings, db):
    school = institutions.create_institution(db, name="丁学院", type=InstitutionType.VOCATIONAL)
    user = users.create_user(db, username="ding", role=Role.UNIVERSITY, institution_id=school.id)
    headers = {
        "Authorization": f"Bearer {issue_token(db, user_id=user.id, kind=TokenKind.API, ttl_s=60, now=utcnow()).token}"
    }
    db.commit()
    diagnosis_id = _start(client, headers)
    assert _put(client, headers, diagnosis_id, _body(settings, "A")).status_code == 200
    result = client.get(f"/api/diagnoses/{diagnosis_id}/result", headers=headers).json()
    assert result["evidence"] is None
    assert {p["check"]["verdict"] for p in result["points"]} == {"no_evidence"}
    assert "尚无以本指标体系完成 AI 初审的材料" in result["points"][0]["check"]["statement_zh"]


def test_category_mean_appears_from_five_institutions_and_stays_anonymous(client, world, settings, db):
    own = bearer(world, "university")
    diagnosis_id = _start(client, own)
    assert _put(client, own, diagnosis_id, _body(settings, "D")).status_code == 200
    for n, level in enumerate(("A", "B", "C")):
        diagnosed_institution(db, settings, name=f"应用{n}", type=InstitutionType.APPLIED, default=level)
    diagnosed_institution(db, settings, name="研究1", type=InstitutionType.RESEARCH, default="A")
    result = client.get(f"/api/diagnoses/{diagnosis_id}/result", headers=own).json()
    assert result["comparison"] == {
        "category": "应用型",
        "institutions": 4,
        "minimum": CATEGORY_MINIMUM,
        "dimensions": None,
    }

    diagnosed_institution(db, settings, name="应用3", type=InstitutionType.APPLIED, default="A")
    result = client.get(f"/api/diagnoses/{diagnosis_id}/result", headers=own).json()
    assert result["comparison"]["institutions"] == 5
    assert result["comparison"]["dimensions"] == [2.8, 2.8, 2.8, 2.8]  # (D 1 + A 4 + B 3 + C 2 + A 4) / 5
    bench = client.get("/api/diagnosis/benchmarks", headers=bearer(world, "secretariat"))
    assert bench.status_code == 200
    rows = {c["category"]: c for c in bench.json()["categories"]}
    assert rows["应用型"]["dimensions"] == [2.8, 2.8, 2.8, 2.8]
    assert rows["研究型"] == {"category": "研究型", "institutions": 1, "minimum": 5, "dimensions": None}
    assert "应用0" not in bench.text and "甲大学" not in bench.text


def test_a_later_round_shows_the_change_per_dimension(client, world, settings):
    own = bearer(world, "university")
    first = _start(client, own, "第一轮")
    assert _put(client, own, first, _body(settings, "C")).status_code == 200
    second = _start(client, own, "第二轮")
    assert _put(client, own, second, _body(settings, "B", p1_1_1="A")).status_code == 200
    result = client.get(f"/api/diagnoses/{second}/result", headers=own).json()
    assert result["previous_title"] == "第一轮"
    assert result["changes"][0] == {"dimension": "理念认同", "previous": 2.0, "current": 3.17}
    assert [c["current"] for c in result["changes"][1:]] == [3.0, 3.0, 3.0]
    rounds = client.get("/api/diagnoses", headers=own).json()
    assert [(r["title"], r["submitted"], r["mine"]) for r in rounds] == [
        ("第二轮", 1, "submitted"),
        ("第一轮", 1, "submitted"),
        ("诊断", 0, None),  # the world's round, never answered
    ]


ENDPOINTS = (
    ("get", "/api/diagnoses/{id}/questionnaire", None),
    ("get", "/api/diagnoses/{id}/response", None),
    ("put", "/api/diagnoses/{id}/response", {"role": "school", "answers": []}),
    ("get", "/api/diagnoses/{id}/result", None),
)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_diagnosis_is_seen_by_its_institution_only(client, world, method, path, body):
    diagnosis_id = _start(client, bearer(world, "university"))
    url = path.format(id=diagnosis_id)
    assert client.request(method, url, json=body, headers=bearer(world, "university")).status_code == 200
    assert client.request(method, url, json=body).status_code == 401
    for role in ("expert", "secretariat", "admin"):
        assert client.request(method, url, json=body, headers=bearer(world, role)).status_code == 403, role


def test_another_institution_gets_not_found(client, world, db):
    diagnosis_id = _start(client, bearer(world, "university"))
    user = users.get_user(db, user_id=world.user_ids["other-university"])
    token = issue_token(db, user_id=user.id, kind=TokenKind.API, ttl_s=60, now=utcnow()).token
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for method, path, body in ENDPOINTS:
        response = client.request(method, path.format(id=diagnosis_id), json=body, headers=headers)
        assert response.status_code == 404 and response.json()["message"] == "诊断不存在。"
    assert diagnosis_id not in {r["diagnosis_id"] for r in client.get("/api/diagnoses", headers=headers).json()}


@pytest.mark.parametrize("role", ["university", "expert", "admin"])
def test_only_the_secretariat_reads_the_benchmarks(client, world, role):
    assert client.get("/api/diagnosis/benchmarks", headers=bearer(world, role)).status_code == 403
    assert client.get("/api/diagnosis/benchmarks").status_code == 401


@pytest.mark.parametrize("role", ["expert", "secretariat", "admin"])
def test_only_universities_start_diagnoses(client, world, role):
    assert client.post("/api/diagnoses", json={}, headers=bearer(world, role)).status_code == 403
    assert client.get("/api/diagnoses", headers=bearer(world, role)).status_code == 403
