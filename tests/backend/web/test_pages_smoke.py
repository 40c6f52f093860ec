from tests.backend.api.conftest import World


def test_home_pages_render(browser_as, world: World):
    for role in ("university", "expert", "secretariat", "admin"):
        r = browser_as(role).get("/")
        assert r.status_code == 200, (role, r.text[:2000])


def test_review_page_renders(browser_as, world: World):
    c = browser_as("university")
    r = c.get(f"/reviews/{world.own.review_id}")
    assert r.status_code == 200, r.text[:3000]
    r = c.get(f"/submissions/{world.own.submission_id}")
    assert r.status_code == 200, r.text[:3000]
