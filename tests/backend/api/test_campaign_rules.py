"""Campaign rules over HTTP: a rubric must exist and fit the campaign's kind; after the deadline universities
can no longer create submissions or upload (nothing is stored), while the secretariat's work goes on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import BEIJING, utcnow
from backend.db.models import Campaign
from tests.backend.api.conftest import World, bearer
from tests.backend.service_fixtures import report_bytes


def _campaign(client: TestClient, world: World, **fields: object):
    body = {"name": "遴选", "rubric_id": "quality-culture-2026", "kind": "self_evaluation"} | fields
    return client.post("/api/campaigns", json=body, headers=bearer(world, "secretariat"))


def _close(db: Session, world: World, *, hours_ago: float = 1) -> None:
    deadline = utcnow() - dt.timedelta(hours=hours_ago)
    db.execute(update(Campaign).where(Campaign.id == world.campaign_id).values(deadline=deadline))
    db.commit()


def _upload(client: TestClient, world: World):
    return client.post(
        f"/api/submissions/{world.own.submission_id}/versions",
        files={"file": ("自评报告.txt", report_bytes())},
        headers=bearer(world, "university"),
    )


@pytest.mark.parametrize(
    ("rubric_id", "kind", "fits"),
    [
        ("case-selection", "self_evaluation", "优秀案例"),
        ("quality-culture-2026", "case", "自评报告"),
        ("audit-2021-type2", "case", "自评报告"),
    ],
)
def test_a_rubric_of_another_kind_is_refused_in_chinese(
    client: TestClient, world: World, rubric_id: str, kind: str, fits: str
) -> None:
    response = _campaign(client, world, rubric_id=rubric_id, kind=kind)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_input"
    assert f"只适用于{fits}" in response.json()["message"]
    assert len(client.get("/api/campaigns", headers=bearer(world, "secretariat")).json()) == 1


def test_an_unknown_rubric_is_refused(client: TestClient, world: World) -> None:
    response = _campaign(client, world, rubric_id="no-such-rubric")
    assert response.status_code == 404 and response.json()["code"] == "rubric_not_found"
    assert "找不到指标体系" in response.json()["message"]


@pytest.mark.parametrize(("rubric_id", "kind"), [("case-selection", "case"), ("ciqa-guide-2021", "case")])
def test_a_fitting_rubric_is_accepted(client: TestClient, world: World, rubric_id: str, kind: str) -> None:
    response = _campaign(client, world, rubric_id=rubric_id, kind=kind)
    assert response.status_code == 201, response.text
    assert (response.json()["rubric_id"], response.json()["kind"]) == (rubric_id, kind)


def test_a_deadline_without_a_zone_is_beijing_time(client: TestClient, world: World) -> None:
    response = _campaign(client, world, deadline="2027-06-30T18:00:00")
    assert response.status_code == 201, response.text
    assert dt.datetime.fromisoformat(response.json()["deadline"]) == dt.datetime(2027, 6, 30, 10, 0, tzinfo=dt.UTC)


def test_after_the_deadline_no_new_submission(client: TestClient, world: World, db: Session) -> None:
    _close(db, world)
    uni = bearer(world, "university")
    response = client.post("/api/submissions", json={"title": "迟交", "campaign_id": world.campaign_id}, headers=uni)
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "conflict"
    assert "已于" in response.json()["message"] and "截止" in response.json()["message"]
    assert "北京时间" in response.json()["message"]
    # A standalone draft for self-review is not part of the campaign.
    assert client.post("/api/submissions", json={"title": "自查稿"}, headers=uni).status_code == 201


def test_after_the_deadline_no_upload_and_nothing_stored(
    client: TestClient, world: World, db: Session, settings: Settings, published: list
) -> None:
    _close(db, world)
    response = _upload(client, world)
    assert response.status_code == 409 and "截止" in response.json()["message"]
    assert [p for p in Path(settings.files_dir).rglob("*") if p.is_file()] == [] and published == []


def test_before_the_deadline_submissions_and_uploads_go_on(client: TestClient, world: World, db: Session) -> None:
    _close(db, world, hours_ago=-1)
    uni = bearer(world, "university")
    created = client.post("/api/submissions", json={"title": "按时", "campaign_id": world.campaign_id}, headers=uni)
    assert created.status_code == 201, created.text
    assert _upload(client, world).status_code == 202


def test_after_the_deadline_the_secretariat_still_works(client: TestClient, world: World, db: Session) -> None:
    _close(db, world)
    secretariat = bearer(world, "secretariat")
    review = client.post(
        f"/api/versions/{world.own.version_id}/reviews", json={"rubric_id": "quality-culture-2026"}, headers=secretariat
    )
    assert review.status_code == 202, review.text
    assert client.get(f"/api/campaigns/{world.campaign_id}/ranking", headers=secretariat).status_code == 200


@pytest.mark.parametrize(
    "quotas",
    [{"by_type": {"研究型": -1}}, {"by_type": {"研究型": True}}, {"total": "5"}, {"by_type": {}, "extra": 1}],
)
def test_quotas_are_whole_non_negative_numbers(client: TestClient, world: World, quotas: dict) -> None:
    response = _campaign(client, world, quotas=quotas)
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert _campaign(client, world, quotas={"by_type": {"研究型": 2}, "total": 3}).status_code == 201


def _close_review(db: Session, world: World, *, hours_ago: float = 1) -> None:
    due = utcnow() - dt.timedelta(hours=hours_ago)
    db.execute(update(Campaign).where(Campaign.id == world.campaign_id).values(review_due_at=due))
    db.commit()


def test_after_the_expert_deadline_no_decision_until_the_secretariat_extends_it(
    client: TestClient, world: World, db: Session
) -> None:
    expert, secretariat = bearer(world, "expert"), bearer(world, "secretariat")
    url = f"/api/assessments/{world.own.assessment_id}/decisions"
    decision = {"action": "edit", "final_level": "A", "comment": "迟到的修改"}
    _close_review(db, world)
    refused = client.post(url, json=decision, headers=expert)
    assert refused.status_code == 409 and refused.json()["code"] == "conflict"
    message = refused.json()["message"]
    assert "专家评审已于" in message and "截止" in message and "北京时间" in message and "联系秘书处" in message
    assert client.get(url, headers=expert).json() == []  # nothing stored
    # A time already past is refused; a later one reopens the review.
    past = client.put(
        f"/api/campaigns/{world.campaign_id}/review-due",
        json={"review_due_at": "2020-01-01T12:00:00"},
        headers=secretariat,
    )
    assert past.status_code == 422 and "须晚于当前时间" in past.json()["message"]
    later = (utcnow() + dt.timedelta(days=3)).astimezone(BEIJING).replace(tzinfo=None).isoformat()
    extended = client.put(
        f"/api/campaigns/{world.campaign_id}/review-due", json={"review_due_at": later}, headers=secretariat
    )
    assert extended.status_code == 200, extended.text
    assert dt.datetime.fromisoformat(extended.json()["review_due_at"]) > utcnow()
    assert client.post(url, json=decision, headers=expert).status_code == 201
    assert [d["comment"] for d in client.get(url, headers=expert).json()] == ["迟到的修改"]
