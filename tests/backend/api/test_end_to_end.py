"""The whole job through the API: upload → ingest → the review it queues (real flows, real rubric) → read →
compare."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from backend.config import Settings
from backend.db.models import JobKind
from backend.ingest.flows import run_ingest_job
from backend.jobs.progress import JobProgress
from backend.jobs.run import run_job
from backend.review.flows import run_review_job
from tests.backend.api.conftest import World, bearer
from tests.fakes import KeywordEmbedder

REPORT_V1 = """# 质量文化建设自评报告

## 一、质量理念

学校确立“学生中心、产出导向、持续改进”的质量理念，制定《本科教育教学质量文化建设实施方案》，
全校师生质量意识调查认同率达到92.4%。

## 二、质量制度

学校修订《本科教学质量标准》等制度文件35项，覆盖课堂教学、实践教学和毕业设计等主要教学环节。

## 三、校园文化

学校举办校园文化艺术节和运动会，丰富学生课余生活。
"""

REPORT_V2 = (
    REPORT_V1
    + """
## 四、持续改进

学校建立教学质量问题清单和整改台账，督导专家每学期听课2000余节，问题整改完成率达到96%，
整改结果在《本科教学质量年度报告》中公开。
"""
)


class FakeTask:
    """What run_job needs of a bound Celery task."""

    request = SimpleNamespace(retries=0)


@pytest.fixture
def worker(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    """Runs jobs as the worker would: the same runner and flows, a keyword embedder for speed."""
    monkeypatch.setenv("CIQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIQA_DATABASE_URL", settings.database_url)
    embedder = KeywordEmbedder()

    def ingest(job_id: int) -> None:
        run_job(FakeTask(), job_id, lambda r: run_ingest_job(r, embedder_factory=lambda s: embedder))

    def review(job_id: int) -> None:
        run_job(
            FakeTask(),
            job_id,
            lambda r: run_review_job(
                r.session,
                r.job_id,
                r.settings,
                JobProgress(JobKind.REVIEW, r.progress),
                embedder_factory=lambda s: embedder,
            ),
        )

    return SimpleNamespace(ingest=ingest, review=review)


def _upload_and_review(
    client: TestClient, world: World, worker, text: str, rubric_id: str | None = None
) -> tuple[int, dict]:
    """Upload (choosing ``rubric_id``, or else the campaign's), ingest, then run the review the ingest queued."""
    uni = bearer(world, "university")
    up = client.post(
        f"/api/submissions/{world.own.submission_id}/versions",
        files={"file": ("自评报告.md", text.encode())},
        data={"rubric_id": rubric_id} if rubric_id else {},
        headers=uni,
    )
    assert up.status_code == 202, up.text
    version_id, ingest_job = up.json()["version"]["id"], up.json()["job"]["id"]
    worker.ingest(ingest_job)
    assert client.get(f"/api/jobs/{ingest_job}", headers=uni).json()["status"] == "succeeded"
    [review_job] = [
        j for j in client.get(f"/api/versions/{version_id}/jobs", headers=uni).json() if j["kind"] == "review"
    ]
    assert review_job["rubric_id"] == (rubric_id or "quality-culture-2026")
    worker.review(review_job["id"])
    job = client.get(f"/api/jobs/{review_job['id']}", headers=uni).json()
    assert job["status"] == "succeeded" and job["progress"] == 100, job
    [review] = client.get(f"/api/versions/{version_id}/reviews", headers=uni).json()
    return version_id, client.get(f"/api/reviews/{review['id']}", headers=uni).json()


def _full(client: TestClient, world: World, review: dict) -> list[dict]:
    """Every indicator's full assessment (evidence included), read as the overview links them."""
    uni = bearer(world, "university")
    return [client.get(f"/api/assessments/{a['id']}", headers=uni).json()["assessment"] for a in review["assessments"]]


def test_upload_ingest_review_read_and_compare(client: TestClient, world: World, worker) -> None:
    v1, first = _upload_and_review(client, world, worker, REPORT_V1)
    assessments = _full(client, world, first)
    assert assessments, first
    quotes = [e["quote"] for a in assessments for p in a["points"] for e in p["evidence"]]
    assert quotes and all(q in REPORT_V1.replace("\n", "") or q in REPORT_V1 for q in quotes)
    marks = {p["mark_zh"] for a in first["assessments"] for p in a["points"]}
    assert marks <= {"句号", "破折号", "问号"}
    assert sum(m["count"] for m in first["counts"]["marks"]) == len([p for a in assessments for p in a["points"]])

    v2, _ = _upload_and_review(client, world, worker, REPORT_V2)
    comparison = client.get(
        f"/api/versions/{v2}/comparison", params={"previous": v1}, headers=bearer(world, "university")
    )
    assert comparison.status_code == 200, comparison.text
    body = comparison.json()
    assert body["rubric_id"] == "quality-culture-2026" and body["points"]
    assert {p["change"] for p in body["points"]} <= {
        "now_covered",
        "still_missing",
        "newly_missing",
        "improved",
        "worsened",
        "unchanged",
    }


def test_rerunning_a_review_job_stores_nothing_twice(client: TestClient, world: World, worker, settings) -> None:
    from backend.db.session import session_scope

    version_id, review = _upload_and_review(client, world, worker, REPORT_V1)
    uni = bearer(world, "university")
    before = client.get(f"/api/versions/{version_id}/reviews", headers=uni).json()
    with session_scope(settings) as session:
        again = run_review_job(session, review["job_id"], settings, embedder_factory=lambda s: KeywordEmbedder())
    assert again == review["id"]
    assert client.get(f"/api/versions/{version_id}/reviews", headers=uni).json() == before


DATA_REPORT = """# 本科教学质量报告

## 一、师资队伍

表1 学校基本数据

| 指标项 | 学校当年质量报告数据 |
| --- | --- |
| 专任教师数 | 1732 |
| 生师比 | 18.46 |
| 生均图书（册） | — |

学校2023届本科毕业生毕业去向落实率为92.35%。
"""


def test_facts_are_stored_and_quantitative_points_show_only_stated_figures(
    client: TestClient, world: World, worker
) -> None:
    """A figure the report states is shown with its row; one it leaves blank ("—") is 未提供, never a neighbour's."""
    version_id, review = _upload_and_review(client, world, worker, DATA_REPORT, rubric_id="audit-2021-type2")
    facts = client.get(f"/api/versions/{version_id}/facts", headers=bearer(world, "university")).json()
    by_metric = {f["metric"]: f for f in facts}
    assert by_metric["生师比"]["value"] == 18.46 and by_metric["生师比"]["origin"] == "table"
    assert "生师比 | 18.46" in by_metric["生师比"]["evidence"]
    assert not any(f["metric"].startswith("生均图书") for f in facts)
    points = {p["point_id"]: p for a in _full(client, world, review) for p in a["points"]}
    ratio = points["4.2.3"]["figure"]
    assert (ratio["value"], ratio["unit"], ratio["table_title"]) == (18.46, ":1", "表1 学校基本数据")
    assert ratio["display_zh"].startswith("「表1 学校基本数据：生师比 = 18.46」")
    assert points["4.2.4"]["figure"]["value"] == 1732
    books = points["3.1.5"]
    assert books["figure"] is None and books["mark_zh"] == "破折号" and "未提供生均图书" in books["rationale_zh"]
