"""Every page and fragment of the expert's review, per role and assignment: an expert only on assigned
submissions (another's reads as missing), the secretariat everywhere it oversees, a university only on the
results of its own reviews, an admin nowhere; writes are the assigned expert's and need the CSRF token.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from backend.db.queries import expert_reviews
from tests.backend.api.conftest import World
from tests.backend.web.conftest import csrf

EXPERT_ONLY = {"university": (403, 403), "expert": (200, 404), "secretariat": (403, 403), "admin": (403, 403)}
OVERSEERS = {"university": (403, 403), "expert": (200, 404), "secretariat": (200, 200), "admin": (403, 403)}
READERS = {"university": (200, 404), "expert": (200, 404), "secretariat": (200, 200), "admin": (403, 403)}
SECRETARIAT = {"university": (403, 403), "expert": (403, 403), "secretariat": (200, 200), "admin": (403, 403)}
PAGES = [
    ("workspace", "/expert/reviews/{r}", EXPERT_ONLY),
    ("workspace ordered", "/expert/reviews/{r}?order=confidence", EXPERT_ONLY),
    ("point pane", "/expert/assessments/{a}/points/p1", EXPERT_ONLY),
    ("search", "/expert/reviews/{r}/search?q=", EXPERT_ONLY),
    ("submit form", "/expert/reviews/{r}/submit", EXPERT_ONLY),
    ("document page", "/expert/reviews/{r}/document?page=1", OVERSEERS),
    ("document evidence", "/expert/reviews/{r}/document?assessment_id={a}&point_id=p1&evidence=0", OVERSEERS),
    ("audit trail", "/reviews/{r}/audit", OVERSEERS),
    ("expert results", "/reviews/{r}/experts", READERS),
    ("agreement", "/secretariat/agreement", SECRETARIAT),
    ("agreement xlsx", "/secretariat/agreement.xlsx", SECRETARIAT),
]


def _path(template: str, world: World, side: str) -> str:
    s = getattr(world, side)
    return template.format(r=s.review_id, a=s.assessment_id)


@pytest.mark.parametrize("role", ["university", "expert", "secretariat", "admin"])
@pytest.mark.parametrize(("name", "template", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_per_role_and_assignment(browser_as, world: World, role: str, name: str, template: str, expected):
    client = browser_as(role)
    got = (
        client.get(_path(template, world, "own")).status_code,
        client.get(_path(template, world, "other")).status_code,
    )
    assert got == expected[role]


@pytest.mark.parametrize(("name", "template", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_anonymous_visitor_is_sent_to_login(anonymous, world: World, name: str, template: str, expected):
    r = anonymous.get(_path(template, world, "own"))
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/")


WRITES = [
    ("/expert/assessments/{a}/points/p1/decision", {"action": "accept"}),
    ("/expert/assessments/{a}/points/p1/evidence", {"chunk_key": "c1", "quote": "质量"}),
    ("/expert/reviews/{r}/submit", {}),
]


@pytest.mark.parametrize(("template", "form"), WRITES, ids=["decide", "attach", "submit"])
def test_writes_are_the_assigned_experts(browser_as, world: World, template: str, form: dict):
    for role in ("university", "secretariat", "admin"):
        client = browser_as(role)
        assert client.post(_path(template, world, "own"), data=form, headers=csrf(client)).status_code == 403
    expert = browser_as("expert")
    assert expert.post(_path(template, world, "other"), data=form, headers=csrf(expert)).status_code == 404
    assert expert.post(_path(template, world, "own"), data=form).status_code == 403  # no CSRF token


def test_attached_quote_image_is_its_experts(browser_as, world: World, db: Session):
    row = expert_reviews.attach_evidence(
        db,
        assessment_id=world.own.assessment_id,
        point_id="p1",
        reviewer_id=world.user_ids["spare-expert"],
        chunk_key="c1",
        quote="质量",
        quote_start=0,
        quote_end=2,
        page_start=1,
        page_end=1,
        heading_path=(),
    )
    db.commit()
    # Another expert's quote reads as missing, even on an assigned submission; the university never sees it.
    assert browser_as("expert").get(f"/expert/attached/{row.id}/page-1.png").status_code == 404
    assert browser_as("university").get(f"/expert/attached/{row.id}/page-1.png").status_code == 403
    path = f"/expert/reviews/{world.own.review_id}/document?attached={row.id}"
    assert browser_as("expert").get(path).status_code == 404
