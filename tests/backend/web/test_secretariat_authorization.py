"""The secretariat's pages per role: only the secretariat reads and writes campaigns (the university, the expert
and the administrator get 403), institutions and experts are the secretariat's and the administrator's; anonymous
visitors go to the login page; every write needs the CSRF token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.backend.api.conftest import World
from tests.backend.web.conftest import csrf

CAMPAIGN_PAGES = [
    "/campaigns/new",
    "/campaigns/{c}",
    "/campaigns/{c}?status=not_submitted",
    "/campaigns/{c}/edit",
    "/campaigns/{c}/progress",
    "/campaigns/{c}/reviews/confirm",
    "/campaigns/{c}/assignments",
    "/campaigns/{c}/ranking",
    "/campaigns/{c}/charts",
    "/campaigns/{c}/shortlist.xlsx",
    "/campaigns/{c}/summary.docx",
    "/campaigns/{c}/reviews.zip",
]
CAMPAIGN_WRITES = [
    ("/campaigns", {"name": "x"}),
    ("/campaigns/{c}/edit", {"name": "x"}),
    ("/campaigns/{c}/reviews", {}),
    ("/campaigns/{c}/remind", {}),
    ("/campaigns/{c}/submissions/{s}/tags", {"tags": "数字化"}),
    ("/campaigns/{c}/assignments", {}),
    ("/campaigns/{c}/shortlist", {}),
    ("/campaigns/{c}/review-due", {"review_due_at": "2099-06-30T17:00"}),
]
EXPECTED = {"university": 403, "expert": 403, "secretariat": 200, "admin": 403}
PEOPLE_EXPECTED = {"university": 403, "expert": 403, "secretariat": 200, "admin": 200}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_campaign_pages_per_role(browser_as, world: World, role: str):
    client = browser_as(role)
    for template in CAMPAIGN_PAGES:
        r = client.get(template.format(c=world.campaign_id))
        assert r.status_code == EXPECTED[role], (template, r.text[:300])
    assert client.get("/people").status_code == PEOPLE_EXPECTED[role]


@pytest.mark.parametrize("role", ["university", "expert", "admin"])
def test_campaign_writes_refused_for_other_roles(browser_as, world: World, role: str):
    client = browser_as(role)
    for template, data in CAMPAIGN_WRITES:
        path = template.format(c=world.campaign_id, s=world.own.submission_id)
        assert client.post(path, data=data, headers=csrf(client)).status_code == 403, path


def test_people_writes_refused_for_university_and_expert(browser_as, world: World):
    for role in ("university", "expert"):
        client = browser_as(role)
        r = client.post("/people/institutions", data={"name": "新学院", "type": "高职"}, headers=csrf(client))
        assert r.status_code == 403


def test_admin_adds_institutions_too(browser_as):
    client = browser_as("admin")
    r = client.post("/people/institutions", data={"name": "新学院", "type": "高职"}, headers=csrf(client))
    assert r.status_code == 303


def test_anonymous_goes_to_login(anonymous: TestClient, world: World):
    for template in [*CAMPAIGN_PAGES, "/people"]:
        r = anonymous.get(template.format(c=world.campaign_id))
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/"), template


def test_writes_without_csrf_token_are_refused(browser_as, world: World):
    client = browser_as("secretariat")
    for template, data in CAMPAIGN_WRITES:
        path = template.format(c=world.campaign_id, s=world.own.submission_id)
        assert client.post(path, data=data).status_code == 403, path
    assert client.post("/people/institutions", data={"name": "新学院", "type": "高职"}).status_code == 403


def test_unknown_campaign_and_foreign_submission_are_404(browser_as, world: World, db):
    from backend.db.queries import campaigns
    from backend.domain.enums import SubmissionKind

    client = browser_as("secretariat")
    assert client.get("/campaigns/99999").status_code == 404
    other = campaigns.create_campaign(db, name="另一活动", rubric_id="quality-culture-2026", kind=SubmissionKind.CASE)
    db.commit()
    r = client.post(
        f"/campaigns/{other.id}/submissions/{world.own.submission_id}/tags", data={"tags": "x"}, headers=csrf(client)
    )
    assert r.status_code == 404
