"""State data through the whole service: uploaded over the API as ``state_data``, ingested by the worker's job runner
into facts with their cells, compared with the report and a supporting file; the consistency page with its filters,
the XLSX export (frozen, filterable header) and the conflicts on the 入校考察问题清单."""

from __future__ import annotations

import io
from types import SimpleNamespace
from urllib.parse import quote

import docx
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from backend.config import Settings
from backend.ingest.flows import run_ingest_job
from backend.jobs.run import run_job
from tests.backend.api.conftest import World, bearer
from tests.fakes import KeywordEmbedder

REPORT = (
    "一、办学条件\n"
    "2023学年，学校生师比为17.49:1，专任教师总数为1732人。\n"
    "2023学年，生均教学科研仪器设备值为16002.25万元。\n"
)


class FakeTask:
    """What run_job needs of a bound Celery task."""

    request = SimpleNamespace(retries=0)


@pytest.fixture
def worker(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    """Runs an ingest job as the worker would (same runner, a keyword embedder)."""
    monkeypatch.setenv("CIQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIQA_DATABASE_URL", settings.database_url)

    def run(job_id: int) -> None:
        run_job(FakeTask(), job_id, lambda r: run_ingest_job(r, embedder_factory=lambda s: KeywordEmbedder()))

    return run


def state_data_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "基本办学条件"
    sheet.append(["表1-1 学校基本办学条件"])
    sheet.merge_cells("A1:D1")
    sheet.append(["指标名称", "统计年度", None, "单位"])
    sheet.append([None, "2022学年", "2023学年", None])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B2:C2")
    sheet.merge_cells("D2:D3")
    sheet.append(["生师比", 18.46, 17.94, None])
    sheet.append(["专任教师数", 1650, 1732, "人"])
    sheet.append(["生均教学科研仪器设备值", 15230.5, 16002.25, "元"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def supporting_docx() -> bytes:
    document = docx.Document()
    document.add_heading("师资队伍", level=1)
    document.add_paragraph("2023学年，学校专任教师总数为1732人。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def upload(client: TestClient, world: World, data: bytes, name: str, role: str) -> dict:
    url = f"/api/submissions/{world.own.submission_id}/versions"
    response = client.post(url, files={"file": (name, data)}, data={"role": role}, headers=bearer(world, "university"))
    assert response.status_code == 202, response.text
    return response.json()


@pytest.fixture
def submission(site, world: World, worker) -> dict[str, int]:
    """The own submission with a report, a supporting file and the state data, all ingested."""
    ids = {}
    with TestClient(site) as client:
        for key, data, name, role in (
            ("report", REPORT.encode(), "自评报告.txt", "main"),
            ("supporting", supporting_docx(), "支撑材料-师资.docx", "supporting"),
            ("state", state_data_xlsx(), "状态数据2023.xlsx", "state_data"),
        ):
            body = upload(client, world, data, name, role)
            worker(body["job"]["id"])
            ids[key] = body["version"]["id"]
    return ids


def test_state_data_is_ingested_into_facts_with_their_cells(site, world: World, submission):
    with TestClient(site) as client:
        version = client.get(f"/api/versions/{submission['state']}", headers=bearer(world, "university")).json()
        assert version["status"] == "ready" and version["role"] == "state_data"
        assert version["media_type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        facts = client.get(f"/api/versions/{submission['state']}/facts", headers=bearer(world, "university")).json()
    got = {(f["sheet"], f["row"], f["column"]): (f["metric"], f["value"], f["unit"], f["period"]) for f in facts}
    assert got[("基本办学条件", 3, 2)] == ("生师比", 17.94, "", "2023学年")
    assert got[("基本办学条件", 4, 1)] == ("专任教师数", 1650, "人", "2022学年")


def test_consistency_api_quotes_both_sides(site, world: World, submission):
    with TestClient(site) as client:
        response = client.get(
            f"/api/submissions/{world.own.submission_id}/consistency", headers=bearer(world, "expert")
        )
    assert response.status_code == 200, response.text
    checks = {(c["metric"], c["verdict"]): c for c in response.json()}
    ratio = checks[("生师比", "conflict")]
    assert [(s["role"], s["text"], s["place_zh"]) for s in ratio["statements"]] == [
        ("state_data", "17.94", "工作表「基本办学条件」C4"),
        ("main", "17.49:1", "页码未知"),
    ]
    slip = checks[("生均教学科研仪器设备值", "conflict")]
    assert "万元/元" in slip["note_zh"]
    teachers = checks[("专任教师数", "agree")]
    assert {s["role"] for s in teachers["statements"]} == {"state_data", "main", "supporting"}
    # the campaign's rubric (quality-culture-2026) asks for no figure, so nothing is missing; the names of other
    # rubrics' metrics still tell 生师比 and 专任教师总数 = 专任教师数
    assert not [c for c in response.json() if c["verdict"] == "missing"]


def test_consistency_page_filters_and_export(browser_as, world: World, submission):
    client = browser_as("university")
    page = client.get(f"/submissions/{world.own.submission_id}/consistency")
    assert page.status_code == 200
    assert "数据一致性核对" in page.text and "生师比" in page.text and "专任教师数" in page.text
    assert "工作表「基本办学条件」C4" in page.text and "疑似单位写错" in page.text
    conflicts = client.get(f"/submissions/{world.own.submission_id}/consistency?verdict=conflict")
    assert "生师比" in conflicts.text and "专任教师数" not in conflicts.text
    by_metric = client.get(f"/submissions/{world.own.submission_id}/consistency?metric={quote('专任')}")
    assert "专任教师数" in by_metric.text and "生均教学科研仪器设备值" not in by_metric.text

    export = client.get(f"/submissions/{world.own.submission_id}/consistency.xlsx?verdict=conflict")
    assert export.status_code == 200
    assert "attachment" in export.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} == {"冲突"}
    assert (
        (
            "冲突",
            "生师比",
            "2023学年",
            None,  # the campaign rubric has no point for it
            "状态数据",
            "状态数据2023.xlsx",
            "工作表「基本办学条件」C4",
            "17.94",
        )
        in [r[:8] for r in rows]
    )


def test_the_assigned_expert_and_the_secretariat_read_the_same_checks(browser_as, world: World, submission):
    for role in ("expert", "secretariat"):
        page = browser_as(role).get(f"/submissions/{world.own.submission_id}/consistency?verdict=conflict")
        assert page.status_code == 200
        assert "生师比" in page.text and "工作表「基本办学条件」C4" in page.text and "17.49:1" in page.text


def test_conflicts_are_questions_on_the_site_visit_checklist(browser_as, world: World, submission):
    page = browser_as("expert").get(f"/reviews/{world.own.review_id}/checklists/site-visit")
    assert page.status_code == 200
    assert "生师比数据不一致" in page.text
    assert "状态数据《状态数据2023.xlsx》工作表「基本办学条件」C4为 17.94" in page.text
    assert "专任教师数数据不一致" not in page.text  # agreements are no questions


def test_a_word_file_uploaded_as_state_data_fails_in_chinese(site, world: World, worker):
    with TestClient(site) as client:
        body = upload(client, world, supporting_docx(), "状态数据.docx", "state_data")
        worker(body["job"]["id"])
        version = client.get(f"/api/versions/{body['version']['id']}", headers=bearer(world, "university")).json()
    assert version["status"] == "failed"
    assert "状态数据只接受 Excel 表格（.xlsx）或 CSV 文件" in version["error_zh"]


def test_review_page_count_and_exports_carry_the_conflicts(browser_as, world: World, submission):
    client = browser_as("university")
    review = client.get(f"/reviews/{world.own.review_id}")
    stored = client.get(f"/api/reviews/{world.own.review_id}").json()["site_visit_questions"]
    assert f"入校考察问题清单（{len(stored) + 2}）" in review.text  # 生师比 and the 万元/元 slip
    book = load_workbook(io.BytesIO(client.get(f"/reviews/{world.own.review_id}/report.xlsx").content))
    texts = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any("生师比数据不一致" in t and "工作表「基本办学条件」C4" in t for t in texts)
    report = docx.Document(io.BytesIO(client.get(f"/reviews/{world.own.review_id}/report.docx").content))
    paragraphs = [p.text for p in report.paragraphs] + [
        c.text for t in report.tables for row in t.rows for c in row.cells
    ]
    assert any("生均教学科研仪器设备值数据不一致" in t for t in paragraphs)


def test_state_data_uploaded_on_the_page_is_listed_as_such(browser_as, world: World, worker, published):
    client = browser_as("university")
    r = client.post(
        f"/submissions/{world.own.submission_id}/files",
        files={"file": ("状态数据2023.xlsx", state_data_xlsx())},
        data={"role": "state_data"},
        headers={"X-CSRF-Token": client.cookies.get("ciqa_csrf") or ""},
    )
    assert r.status_code == 200, r.text
    worker(published[-1][0])
    page = client.get(f"/submissions/{world.own.submission_id}").text
    listed = page.split("<h2>支撑材料与状态数据</h2>")[1]
    assert "状态数据2023.xlsx" in listed and '<td class="nowrap">状态数据</td>' in listed
    assert 'name="state_data" accept=".xlsx,.csv"' in page
    assert f'href="/submissions/{world.own.submission_id}/consistency"' in page
