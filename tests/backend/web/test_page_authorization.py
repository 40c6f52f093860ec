"""Every page and fragment, per role and tenant: anonymous visitors go to the login page; a university sees
only its institution, an expert only assignments, the secretariat everything, an admin no review data.
Hidden objects answer 404 exactly like missing ones; writes need the CSRF token.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.backend.api.conftest import World
from tests.backend.web.conftest import csrf

# Each page of a side: (name, path template); {s} submission, {v} version, {v2} second version, {r} review,
# {a} assessment.
PAGES = [
    ("submission", "/submissions/{s}"),
    ("version status", "/versions/{v}/status"),
    ("review", "/reviews/{r}"),
    ("review filtered", "/reviews/{r}?mark=more_material"),
    ("supplementary", "/reviews/{r}/checklists/supplementary"),
    ("site visit", "/reviews/{r}/checklists/site-visit"),
    ("point detail", "/assessments/{a}/points/p1"),
    ("evidence", "/assessments/{a}/points/p1/evidence/0"),
    ("report docx", "/reviews/{r}/report.docx"),
    ("report xlsx", "/reviews/{r}/report.xlsx"),
    ("comparison", "/submissions/{s}/compare?before={v}&after={v2}"),
    ("consistency", "/submissions/{s}/consistency"),
    ("consistency filtered", "/submissions/{s}/consistency?verdict=conflict&metric=生师比"),
    ("consistency xlsx", "/submissions/{s}/consistency.xlsx"),
]
# role -> (status on the own side, status on the other side)
EXPECTED = {
    "university": (200, 404),
    "expert": (200, 404),
    "secretariat": (200, 200),
    "admin": (403, 403),
}


def _path(template: str, world: World, side: str) -> str:
    s = getattr(world, side)
    return template.format(s=s.submission_id, v=s.version_id, v2=s.version2_id, r=s.review_id, a=s.assessment_id)


@pytest.mark.parametrize(("name", "template"), PAGES, ids=[p[0] for p in PAGES])
def test_anonymous_visitor_is_sent_to_login(anonymous: TestClient, world: World, name: str, template: str):
    path = _path(template, world, "own")
    r = anonymous.get(path)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/")


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize(("name", "template"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_per_role_and_tenant(browser_as, world: World, role: str, name: str, template: str):
    client = browser_as(role)
    own, other = EXPECTED[role]
    r_own = client.get(_path(template, world, "own"))
    r_other = client.get(_path(template, world, "other"))
    assert (r_own.status_code, r_other.status_code) == (own, other), (r_own.text[:500], r_other.text[:500])
    if other == 404:
        # Another tenant's object reads exactly like a missing one.
        assert "不存在" in r_other.text
        assert str(world.other.submission_id) not in r_other.text.split("<main", 1)[1] or name == "submission"


def test_htmx_fragment_without_session_redirects_through_htmx(anonymous: TestClient, world: World):
    r = anonymous.get(f"/versions/{world.own.version_id}/status", headers={"HX-Request": "true"})
    assert r.status_code == 204
    assert r.headers["HX-Redirect"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["university", "expert", "secretariat", "admin"])
def test_home_page_per_role(browser_as, world: World, role: str):
    r = browser_as(role).get("/")
    assert r.status_code == 200
    body = r.text
    if role == "university" or role == "expert":
        assert "甲大学自评报告" in body and "乙大学自评报告" not in body
    elif role == "secretariat":
        assert "甲大学自评报告" in body and "乙大学自评报告" in body
    else:
        assert "自评报告" not in body and world.usernames["expert"] in body


@pytest.mark.parametrize("role", ["expert", "secretariat", "admin"])
def test_only_universities_create_submissions_and_upload(browser_as, world: World, role: str):
    client = browser_as(role)
    r = client.post("/submissions", data={"title": "x"}, headers=csrf(client))
    assert r.status_code == 403
    r = client.post(
        f"/submissions/{world.own.submission_id}/files", files={"file": ("a.txt", b"abc")}, headers=csrf(client)
    )
    assert r.status_code == 403


def test_university_cannot_upload_to_another_institution(browser_as, world: World):
    client = browser_as("university")
    r = client.post(
        f"/submissions/{world.other.submission_id}/files",
        files={"file": ("a.txt", "质量".encode())},
        headers=csrf(client),
    )
    assert r.status_code == 404


def test_writes_without_csrf_token_are_refused(browser_as, world: World):
    client = browser_as("university")
    r = client.post("/submissions", data={"title": "无令牌"})
    assert r.status_code == 403
    assert "CSRF" in r.text
    r = client.post("/logout")
    assert r.status_code == 403
    # With the form field the page puts in its forms, the same write goes through.
    r = client.post("/submissions", data={"title": "有令牌", "csrf_token": client.cookies.get("ciqa_csrf")})
    assert r.status_code == 303


def test_failed_version_delete_is_the_owners(browser_as, world: World):
    expert = browser_as("expert")
    assert expert.post(f"/versions/{world.own.failed_version_id}/delete", headers=csrf(expert)).status_code == 403
    other = browser_as("other-university") if "other-university" in world.tokens else None
    uni = browser_as("university")
    assert uni.post(f"/versions/{world.other.failed_version_id}/delete", headers=csrf(uni)).status_code == 404
    r = uni.post(f"/versions/{world.own.failed_version_id}/delete", headers=csrf(uni))
    assert r.status_code == 303
    assert other is None
