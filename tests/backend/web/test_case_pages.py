"""Case campaign pages per role: near-duplicate pairs, the pair view and its verdicts, the 案例集 downloads (only the
secretariat), the ranking page per case (two cases of one institution both seated through the form), and a
university filing a case with its category and theme tags (web form and API)."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.base import utcnow
from backend.db.queries import selection, submissions
from backend.domain.enums import InstitutionType
from tests.backend.api.conftest import World, bearer
from tests.backend.selection.case_world import CaseWorld, file_second_case, make_case_world
from tests.backend.web.conftest import csrf

EXPECTED = {"university": 403, "expert": 403, "secretariat": 200, "admin": 403}


@pytest.fixture
def cw(db: Session, settings: Settings, world: World, monkeypatch: pytest.MonkeyPatch) -> CaseWorld:
    made = make_case_world(db, settings, monkeypatch)
    sub = submissions.get_submission(db, submission_id=made.submissions["original"])
    row = selection.ShortlistRow(sub.institution_id, sub.id, InstitutionType.APPLIED, 1, 0.8, "")
    selection.replace_shortlist(
        db, campaign_id=made.campaign_id, rows=[row], fixed_by=world.user_ids["secretariat"], now=utcnow()
    )
    db.commit()
    return made


def _pages(cw: CaseWorld) -> list[str]:
    c = cw.campaign_id
    return [
        f"/campaigns/{c}/duplicates",
        f"/campaigns/{c}/duplicates/{cw.original}/{cw.copy}",
        f"/campaigns/{c}/case-collection.docx",
        f"/campaigns/{c}/case-collection.xlsx",
    ]


@pytest.mark.parametrize("role", list(EXPECTED))
def test_case_pages_per_role(browser_as, cw: CaseWorld, role: str):
    client = browser_as(role)
    for path in _pages(cw):
        assert client.get(path).status_code == EXPECTED[role], path
    mark = f"/campaigns/{cw.campaign_id}/duplicates/{cw.original}/{cw.copy}"
    r = client.post(mark, data={"verdict": "duplicate"}, headers=csrf(client))
    assert r.status_code == (303 if role == "secretariat" else 403)


def test_anonymous_goes_to_login_and_writes_need_csrf(anonymous: TestClient, browser_as, cw: CaseWorld):
    for path in _pages(cw):
        r = anonymous.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/"), path
    client = browser_as("secretariat")
    mark = f"/campaigns/{cw.campaign_id}/duplicates/{cw.original}/{cw.copy}"
    assert client.post(mark, data={"verdict": "duplicate"}).status_code == 403


def test_secretariat_sees_pairs_side_by_side_and_marks_them(browser_as, cw: CaseWorld):
    client = browser_as("secretariat")
    listing = client.get(f"/campaigns/{cw.campaign_id}/duplicates").text
    assert (
        f'data-pair="{cw.original}-{cw.copy}"' in listing and f'data-pair="{cw.earlier}-{cw.earlier_copy}"' in listing
    )
    assert "2025年优秀案例征集" in listing and "未判定" in listing and "案例查重" in listing
    pair = f"/campaigns/{cw.campaign_id}/duplicates/{cw.original}/{cw.copy}"
    page = client.get(pair).text
    assert page.count("<mark>") > 2 and "甲学院" in page and "乙学院" in page
    r = client.post(pair, data={"verdict": "duplicate", "note": "整段照抄"}, headers=csrf(client))
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "已记录判定" in page and "整段照抄" in page
    assert 'id="verdict-history"' in page
    assert client.post(pair, data={"verdict": "maybe"}, headers=csrf(client)).status_code == 422
    listing = client.get(f"/campaigns/{cw.campaign_id}/duplicates").text
    assert "未判定" in listing and ">重复<" in listing
    unrelated = f"/campaigns/{cw.campaign_id}/duplicates/{cw.earlier}/{cw.original}"
    assert client.get(f"/campaigns/{cw.earlier_campaign_id}/duplicates/{cw.earlier}/{cw.original}").status_code == 404
    assert client.get(unrelated).status_code == 200
    docx = client.get(f"/campaigns/{cw.campaign_id}/case-collection.docx")
    assert docx.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    headings = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs if p.style.name == "Heading 1"]
    assert len(headings) == 1 and headings[0].startswith("案例1")
    ranking = client.get(f"/campaigns/{cw.campaign_id}/ranking").text
    assert "下载案例集（Word）" in ranking


def test_ranking_page_seats_two_cases_of_one_institution(browser_as, db: Session, settings: Settings, cw: CaseWorld):
    filed = file_second_case(db, settings, cw)
    first, second, second_case = filed.first, filed.submission_id, filed.case
    client = browser_as("secretariat")
    page = client.get(f"/campaigns/{cw.campaign_id}/ranking").text
    assert "应用型 · 名额 2 个 · 已排名 5 个" in page and "每个案例单独排名" in page
    assert "名额 2 所" not in page and "<th>案例</th>" in page
    for sid, title in ((first.id, first.title), (second, second_case.title)):
        row = re.search(rf'<tr[^>]*data-submission="{sid}" data-institution="甲学院">.*?</tr>', page, re.S)
        assert row is not None and title in row.group(0) and f'name="chosen" value="{sid}"' in row.group(0)
    chosen = {"chosen": [str(first.id), str(second)], "note": "甲学院两个案例都入选"}
    r = client.post(f"/campaigns/{cw.campaign_id}/shortlist", data=chosen, headers=csrf(client))
    assert r.status_code == 303
    seated = selection.list_shortlist(db, campaign_id=cw.campaign_id)
    assert sorted(e.submission_id for e in seated) == sorted([first.id, second])
    fixed = client.get(r.headers["location"]).text
    panel = re.search(r'<div class="panel" id="fixed">.*?</div>', fixed, re.S).group(0)
    assert "已确定的入围名单（2 个）" in panel
    assert f"{first.title}（甲学院）" in panel and f"{second_case.title}（甲学院）" in panel
    docx = client.get(f"/campaigns/{cw.campaign_id}/case-collection.docx")
    headings = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs if p.style.name == "Heading 1"]
    assert sorted(h.split("  ", 1)[1] for h in headings) == sorted([first.title, second_case.title])


def test_report_campaign_has_no_duplicates_tab(browser_as, world: World):
    client = browser_as("secretariat")
    assert "案例查重" not in client.get(f"/campaigns/{world.campaign_id}").text
    assert client.get(f"/campaigns/{world.campaign_id}/duplicates").status_code == 404


def test_university_files_a_case_with_category_and_tags(browser_as, db: Session, cw: CaseWorld, world: World):
    client = browser_as("university")
    data = {"title": "质量文化建设案例", "campaign_id": str(cw.campaign_id), "case_category": "质量文化建设",
            "theme_tags": "学生参与、闭环改进"}  # fmt: skip
    r = client.post("/submissions", data=data, headers=csrf(client))
    assert r.status_code == 303
    sub = submissions.get_submission(db, submission_id=int(r.headers["location"].rsplit("/", 1)[1]))
    assert sub.case_category == "质量文化建设" and sub.theme_tags == ("学生参与", "闭环改进")
    data["campaign_id"] = str(world.campaign_id)
    r = client.post("/submissions", data=data, headers=csrf(client))
    assert r.status_code == 422 and "案例类别和主题标签只在优秀案例活动中填写" in r.text


def test_api_case_submission(client_api: TestClient, cw: CaseWorld, world: World):
    body = {"title": "案例", "campaign_id": cw.campaign_id, "case_category": "质量保障体系建设", "theme_tags": ["督导"]}
    r = client_api.post("/api/submissions", json=body, headers=bearer(world, "university"))
    assert (
        r.status_code == 201 and r.json()["theme_tags"] == ["督导"] and r.json()["case_category"] == "质量保障体系建设"
    )
    body["campaign_id"] = world.campaign_id
    r = client_api.post("/api/submissions", json=body, headers=bearer(world, "university"))
    assert r.status_code == 422


@pytest.fixture
def client_api(site) -> TestClient:
    with TestClient(site) as c:
        yield c
