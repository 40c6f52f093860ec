"""自评报告起草 pages per role and tenant, section edits (CSRF), finalising as a report version, a clerk's errors."""

from __future__ import annotations

import io

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.db.models import DocumentRole, JobKind
from backend.db.queries import submissions, versions
from tests.backend.api.conftest import World
from tests.backend.web.conftest import csrf
from tests.factories import QUOTE

PAGES = [
    ("overview", "/drafting"),
    ("draft", "/drafting/{d}"),
    ("status", "/drafting/{d}/status"),
    ("docx", "/drafting/{d}/docx"),
]
# Drafts are the university's working material: other roles never see them (a finalised draft is a version).
EXPECTED = {"university": (200, 404), "expert": (403, 403), "secretariat": (403, 403), "admin": (403, 403)}


def _path(template: str, world: World, side: str) -> str:
    return template.format(d=getattr(world, side).draft_id)


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize(("name", "template"), PAGES, ids=[p[0] for p in PAGES])
def test_drafting_pages_per_role_and_tenant(browser_as, world: World, role: str, name: str, template: str):
    client = browser_as(role)
    own, other = EXPECTED[role]
    if name == "overview":
        other = own  # one page, listing only the user's own institution
    if name == "status" and own == 200:
        own = 204  # the draft is written: the polling fragment tells htmx to reload the page
    r_own, r_other = client.get(_path(template, world, "own")), client.get(_path(template, world, "other"))
    assert (r_own.status_code, r_other.status_code) == (own, other), (r_own.text[:300], r_other.text[:300])
    if other == 404:
        assert "报告草稿不存在" in r_other.text
    if own == 204:
        assert r_own.headers["HX-Refresh"] == "true"


def test_anonymous_is_sent_to_login(anonymous: TestClient, world: World):
    r = anonymous.get(f"/drafting/{world.own.draft_id}")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/drafting/")


def test_university_nav_links_drafting_and_overview_lists_own_drafts_only(browser_as, world: World):
    body = browser_as("university").get("/drafting").text
    assert 'href="/drafting"' in body and "自评报告起草" in body
    assert f'href="/drafting/{world.own.draft_id}"' in body
    assert f'href="/drafting/{world.other.draft_id}"' not in body
    assert "乙大学自评报告" not in body


def test_draft_page_shows_sentences_with_sources_and_gaps(browser_as, world: World):
    body = browser_as("university").get(f"/drafting/{world.own.draft_id}").text
    assert QUOTE in body
    assert "质量年报.pdf，第 3 页" in body  # the footnote: file and page
    assert "材料中未找到依据" in body and "请补充质量文化建设成效数据" in body
    assert f'href="/drafting/{world.own.draft_id}/docx"' in body


def test_section_edit_needs_csrf_and_is_shown_and_exported(browser_as, world: World):
    client = browser_as("university")
    url = f"/drafting/{world.own.draft_id}/sections/1.1"
    assert client.post(url, data={"text": "学校修改的段落。"}).status_code == 403
    r = client.post(url, data={"text": "学校修改的第一段。\n学校修改的第二段。"}, headers=csrf(client))
    assert r.status_code == 200 and "已由学校修改" in r.text and "学校修改的第二段。" in r.text
    docx = Document(io.BytesIO(client.get(f"/drafting/{world.own.draft_id}/docx").content))
    texts = [p.text for p in docx.paragraphs]
    assert "学校修改的第一段。" in texts and QUOTE not in "".join(texts)
    other = client.post(f"/drafting/{world.other.draft_id}/sections/1.1", data={"text": "x"}, headers=csrf(client))
    assert other.status_code == 404


def test_unknown_section_is_a_clear_error(browser_as, world: World):
    client = browser_as("university")
    r = client.post(
        f"/drafting/{world.own.draft_id}/sections/9.9", data={"text": "x"}, headers={**csrf(client), "HX-Request": "1"}
    )
    assert r.status_code == 422 and "该章节不存在" in r.text


def test_finalise_uploads_the_draft_as_a_report_version_and_locks_it(
    browser_as, world: World, db: Session, published: list[tuple[int, JobKind]]
):
    client = browser_as("university")
    before = versions.list_versions(db, submission_id=world.own.submission_id, role=DocumentRole.MAIN)
    r = client.post(f"/drafting/{world.own.draft_id}/finalise", headers=csrf(client))
    assert r.status_code == 303 and r.headers["location"] == f"/submissions/{world.own.submission_id}"
    db.expire_all()
    after = versions.list_versions(db, submission_id=world.own.submission_id, role=DocumentRole.MAIN)
    assert len(after) == len(before) + 1
    new = after[-1]
    assert new.original_name == "甲大学质量文化建设自评报告（草稿）.docx"
    assert published[-1][1] is JobKind.INGEST  # ingested (then reviewed) like any upload
    again = client.post(
        f"/drafting/{world.own.draft_id}/sections/1.1", data={"text": "x"}, headers={**csrf(client), "HX-Request": "1"}
    )
    assert again.status_code == 409 and "已定稿提交" in again.text


def test_drafting_without_ready_supporting_files_says_what_to_do(browser_as, world: World, db: Session):
    submission = submissions.create_submission(
        db, institution_id=world.own.institution_id, title="空材料", campaign_id=None
    )
    db.commit()
    client = browser_as("university")
    r = client.post(
        "/drafting",
        data={"submission_id": submission.id, "rubric_id": "audit-2021-type2", "drafter": "extractive"},
        headers=csrf(client),
    )
    assert r.status_code == 422
    assert "还没有解析完成的支撑材料" in r.text


def test_drafting_another_institutions_submission_is_not_found(browser_as, world: World):
    client = browser_as("university")
    data = {"submission_id": world.other.submission_id, "rubric_id": "audit-2021-type2"}
    assert client.post("/drafting", data=data, headers=csrf(client)).status_code == 404


def test_start_queues_a_draft_job_and_opens_its_page(browser_as, world: World, published):
    client = browser_as("university")
    data = {"submission_id": world.own.submission_id, "rubric_id": "audit-2021-type2", "drafter": "extractive"}
    r = client.post("/drafting", data=data, headers=csrf(client))
    assert r.status_code == 303 and r.headers["location"].startswith("/drafting/")
    assert published[-1][1] is JobKind.DRAFT_REPORT
    page = client.get(r.headers["location"]).text
    assert "排队中" in page and 'hx-get="/drafting/' in page
