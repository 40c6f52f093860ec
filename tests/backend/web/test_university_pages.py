"""University pages over real objects: the demo accounts' homes, uploads refused with Chinese reasons, a failed
version's reason, the quote on its PDF page (real stored PDF), 整改跟踪 and the downloads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import JobKind, ParseStats
from backend.db.queries import jobs, reviews, versions
from backend.demo import queue_demo
from backend.storage import file_store
from backend.web.app import create_app
from indexing.models import MediaType
from tests.backend.api.conftest import World
from tests.backend.web.conftest import csrf
from tests.factories import make_review

REPORT_PDF = Path(__file__).resolve().parents[2] / "files" / "realistic" / "docx-libreoffice.pdf"
# A sentence of page 4 of that PDF, as the parser joined it.
PDF_QUOTE = "在领导体制上，本科教学被列为党委常委会和校长办公会的固定议题"
HOME_HEADING = {
    "university": "我的材料",
    "expert": "我的评审任务",
    "secretariat": "遴选活动与材料",
    "admin": "用户与院校",
}


def test_every_demo_account_signs_in_to_its_own_home(settings: Settings, published):
    demo = queue_demo(settings)
    site = create_app(settings)
    assert len(demo.accounts) >= 5
    for account in demo.accounts:
        with TestClient(site, follow_redirects=False) as client:
            r = client.post("/login", data={"username": account.username, "password": account.password})
            assert r.status_code == 303 and r.headers["location"] == "/"
            home = client.get("/")
            assert home.status_code == 200
            assert f"<h1>{HOME_HEADING[account.role.value]}</h1>" in home.text
            if account.institution and account.role.value == "university":
                assert account.institution in home.text


def test_login_returns_to_the_page_asked_for_and_never_to_another_host(anonymous: TestClient, world: World):
    path = f"/reviews/{world.own.review_id}"
    r = anonymous.get(path)
    assert r.headers["location"] == f"/login?next={path}"
    form = {"username": world.usernames["university"], "password": "correct horse battery staple"}
    assert anonymous.post("/login", data=form | {"next": path}).headers["location"] == path
    assert anonymous.post("/login", data=form | {"next": "//evil.example/x"}).headers["location"] == "/"
    assert anonymous.post("/login", data=form | {"next": "https://evil.example/"}).headers["location"] == "/"


def test_login_errors_stand_next_to_their_field(anonymous: TestClient, world: World):
    r = anonymous.post("/login", data={"username": "", "password": "x"})
    assert r.status_code == 422
    assert 'id="username-error" role="alert">请输入账号。' in r.text
    r = anonymous.post("/login", data={"username": world.usernames["university"], "password": "wrong"})
    assert r.status_code == 401
    assert 'id="password-error" role="alert">用户名或密码错误。' in r.text
    assert "Traceback" not in r.text


def test_logout_ends_the_session(browser_as, world: World):
    client = browser_as("university")
    r = client.post("/logout", data={"csrf_token": client.cookies.get("ciqa_csrf")})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/").status_code == 303


def test_new_submission_errors_and_success(browser_as, world: World):
    client = browser_as("university")
    r = client.post("/submissions", data={"title": "  "}, headers=csrf(client))
    assert r.status_code == 422
    assert 'id="title-error" role="alert">请填写材料名称。' in r.text
    r = client.post(
        "/submissions", data={"title": "2026 自评报告", "campaign_id": str(world.campaign_id)}, headers=csrf(client)
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "2026 自评报告" in page.text and "选择自评报告" in page.text


def test_upload_refusals_come_back_in_chinese_beside_the_file(browser_as, world: World, settings: Settings):
    client = browser_as("university")
    url = f"/submissions/{world.own.submission_id}/files"
    r = client.post(url, files={"file": ("空.pdf", b"")}, headers=csrf(client))
    assert r.status_code == 422
    assert "空.pdf" in r.text and "文件为空" in r.text
    big = b"%PDF-1.4\n" + b"0" * (settings.max_upload_bytes + 1)
    r = client.post(url, files={"file": ("大.pdf", big)}, headers=csrf(client))
    assert r.status_code in (413, 422)
    assert "文件过大" in r.text


def test_a_supporting_file_is_kept_beside_the_report_and_not_reviewed(
    browser_as, world: World, db: Session, published: list[tuple[int, JobKind]]
):
    client = browser_as("university")
    r = client.post(
        f"/submissions/{world.own.submission_id}/files",
        files={"file": ("制度汇编.txt", "学校质量管理制度汇编".encode())},
        data={"role": "supporting"},
        headers=csrf(client),
    )
    assert r.status_code == 200
    assert "支撑材料" in r.text and 'hx-trigger="every 1s"' in r.text
    job = jobs.get_job(db, job_id=published[-1][0])
    assert job.kind is JobKind.INGEST and job.rubric_id is None  # no review will follow
    page = client.get(f"/submissions/{world.own.submission_id}").text
    assert page.split("<h2>支撑材料与状态数据</h2>")[1].count("制度汇编.txt") == 1


def test_a_failed_version_shows_its_reason_and_can_be_deleted(browser_as, world: World):
    client = browser_as("university")
    page = client.get(f"/submissions/{world.own.submission_id}").text
    assert "处理失败" in page and "失败原因：文件已损坏，无法读取。" in page
    assert f'action="/versions/{world.own.failed_version_id}/delete"' in page


@pytest.fixture
def pdf_review(db: Session, settings: Settings, world: World) -> tuple[int, int]:
    """A real PDF stored as a version of the own submission with a review quoting page 4; (version, assessment)."""
    sha = file_store(settings).put(REPORT_PDF.read_bytes())
    version = versions.create_version(
        db, submission_id=world.own.submission_id, sha256=sha, original_name="报告.pdf", size_bytes=1
    )
    versions.mark_version_ready(
        db,
        version_id=version.id,
        media_type=MediaType.PDF.value,
        pages=6,
        stats=ParseStats(blocks=1, chunks=1, chars=9, tables=0),
    )
    review = make_review(document_id=str(version.id), rubric_id="quality-culture-2026")
    point = review.assessments[0].points[0]
    evidence = point.evidence[0].model_copy(
        update={"quote": PDF_QUOTE, "quote_end": len(PDF_QUOTE), "page_start": 4, "page_end": 4}
    )
    assessment = review.assessments[0].model_copy(
        update={"points": (point.model_copy(update={"evidence": (evidence,)}),)}
    )
    job = jobs.create_job(db, kind=JobKind.REVIEW, version_id=version.id, rubric_id="quality-culture-2026")
    record = reviews.save_review(
        db, job_id=job.id, version_id=version.id, review=review.model_copy(update={"assessments": (assessment,)})
    )
    db.commit()
    return version.id, record.assessments[0].id


def test_a_quote_opens_on_its_pdf_page_highlighted(browser_as, world: World, pdf_review: tuple[int, int]):
    import numpy as np
    from PIL import Image

    version_id, assessment_id = pdf_review
    client = browser_as("university")
    page = client.get(f"/assessments/{assessment_id}/points/p1/evidence/0")
    assert page.status_code == 200
    assert 'data-match="exact"' in page.text
    image_url = f"/assessments/{assessment_id}/points/p1/evidence/0/page-4.png"
    assert image_url in page.text
    png = client.get(image_url)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    plain = client.get(f"/versions/{version_id}/pages/4.png")
    highlighted, original = (
        Image.open(io.BytesIO(png.content)).convert("RGB"),
        Image.open(io.BytesIO(plain.content)).convert("RGB"),
    )
    assert highlighted.size == original.size

    # The highlight changes pixels (yellow over the quote); the plain page has none of that yellow.
    def yellow(im: Image.Image) -> int:
        pixels = np.asarray(im)
        return int(((pixels[..., 0] > 200) & (pixels[..., 1] > 180) & (pixels[..., 2] < 150)).sum())

    assert yellow(highlighted) > 1000 > yellow(original)
    # A page that is not the quote's is refused; the other institution's users never see the page.
    assert client.get(f"/assessments/{assessment_id}/points/p1/evidence/0/page-1.png").status_code == 404
    other, secretariat, admin = browser_as("other-university"), browser_as("secretariat"), browser_as("admin")
    for url in (image_url, f"/versions/{version_id}/pages/4.png", f"/versions/{version_id}/file"):
        assert secretariat.get(url).status_code == 200, url
        assert other.get(url).status_code == 404, url
        assert admin.get(url).status_code == 403, url
    original_file = client.get(f"/versions/{version_id}/file")
    assert original_file.content == REPORT_PDF.read_bytes()
    assert "attachment" in original_file.headers["content-disposition"]


def test_comparison_shows_each_point_moving(browser_as, world: World):
    client = browser_as("university")
    own = world.own
    r = client.get(f"/submissions/{own.submission_id}/compare?before={own.version_id}&after={own.version2_id}")
    assert r.status_code == 200
    assert "已补充" in r.text and "提升 1 级" in r.text
    assert "质量文化理念" in r.text  # the point's text, not only its id
    # Versions of another submission cannot be slipped into this one's comparison.
    r = client.get(f"/submissions/{own.submission_id}/compare?before={own.version_id}&after={world.other.version_id}")
    assert r.status_code == 404


def test_downloads_open_as_office_files(browser_as, world: World):
    from docx import Document
    from openpyxl import load_workbook

    client = browser_as("university")
    docx = client.get(f"/reviews/{world.own.review_id}/report.docx")
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "甲大学" in text and "第 1 版" in text
    xlsx = client.get(f"/reviews/{world.own.review_id}/report.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet.max_row == 2  # header + the one point


def test_a_defect_shows_a_chinese_page_not_a_trace(site, world: World, monkeypatch: pytest.MonkeyPatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("simulated defect")

    monkeypatch.setattr("backend.web.views.home.my_submissions", broken)
    with TestClient(site, follow_redirects=False, raise_server_exceptions=False) as client:
        client.post(
            "/login", data={"username": world.usernames["university"], "password": "correct horse battery staple"}
        )
        r = client.get("/")
        assert r.status_code == 500
        assert "系统内部错误" in r.text and "Traceback" not in r.text and "simulated defect" not in r.text
        api = client.get("/api/me")
        assert api.status_code == 200  # the service keeps serving
    assert "simulated defect" in caplog.text
