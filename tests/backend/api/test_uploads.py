"""Uploads over HTTP: queued after commit, deduplicated by content, size-limited while streaming,
typed by content, hostile names never used as paths, corrupt files failing in Chinese with the original kept."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import docx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.api.main import create_app
from backend.config import Settings
from backend.db.models import JobKind
from backend.ingest.flows import run_ingest_job
from backend.jobs.run import run_job
from backend.storage import file_store
from indexing.models import MediaType
from tests.backend.api.conftest import World, bearer
from tests.backend.service_fixtures import report_bytes
from tests.fakes import KeywordEmbedder


class FakeTask:
    """What run_job needs of a bound Celery task."""

    request = SimpleNamespace(retries=0)


@pytest.fixture
def worker(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    """Runs a job as the worker would (same runner, settings from the environment, a fake embedder)."""
    monkeypatch.setenv("CIQA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CIQA_DATABASE_URL", settings.database_url)

    def run(job_id: int) -> None:
        run_job(FakeTask(), job_id, lambda r: run_ingest_job(r, embedder_factory=lambda s: KeywordEmbedder()))

    return run


def _upload(client: TestClient, world: World, data: bytes, name: str = "自评报告.txt"):
    url = f"/api/submissions/{world.own.submission_id}/versions"
    return client.post(url, files={"file": (name, data)}, headers=bearer(world, "university"))


def _stored_files(settings: Settings) -> list[Path]:
    return sorted(p for p in settings.files_dir.rglob("*") if p.is_file())


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("一、学校概况", level=1)
    document.add_paragraph("学校创建于1952年，是一所应用型本科高校，生师比为17.5:1。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_upload_is_stored_by_sha256_and_queued_after_commit(
    client: TestClient, world: World, settings: Settings, published: list
) -> None:
    response = _upload(client, world, report_bytes())
    assert response.status_code == 202
    body = response.json()
    assert body["created"] is True
    assert body["job"]["status"] == "queued" and body["job"]["kind"] == "ingest"
    assert body["version"]["status"] == "uploaded" and body["version"]["media_type"] == "text/plain"
    sha = body["version"]["sha256"]
    assert file_store(settings).read(sha) == report_bytes()
    assert published == [(body["job"]["id"], JobKind.INGEST)]


def test_same_bytes_twice_is_the_same_version_and_no_new_job(client: TestClient, world: World, published: list) -> None:
    first = _upload(client, world, report_bytes()).json()
    second = _upload(client, world, report_bytes(), name="再次上传.txt").json()
    assert second["created"] is False
    assert second["version"]["id"] == first["version"]["id"] and second["job"]["id"] == first["job"]["id"]
    assert len(published) == 1


@pytest.mark.parametrize(
    "name",
    [
        "../../x.txt",
        "..\\..\\windows\\evil.txt",
        "/etc/passwd",
        "报告\u202etxt.exe",
        "a\x00b.txt",
        "长" * 1000 + ".txt",
        "..",
        "\u200f\u200e",
    ],
)
def test_hostile_names_are_sanitised_and_never_paths(
    client: TestClient, world: World, settings: Settings, tmp_path: Path, name: str
) -> None:
    response = _upload(client, world, report_bytes(), name=name)
    assert response.status_code == 202, response.text
    shown = response.json()["version"]["original_name"]
    assert shown and len(shown) <= 200
    assert not any(ch in shown for ch in ("/", "\\", "\x00", "\u202e")) and shown != ".."
    sha = response.json()["version"]["sha256"]
    assert _stored_files(settings) == [settings.files_dir / sha[:2] / sha[2:4] / sha]
    assert not (tmp_path / "x.txt").exists() and not (settings.data_dir / "x.txt").exists()


def test_oversized_upload_is_refused_before_it_is_read(settings: Settings, world: World, published: list) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 1000})
    with TestClient(create_app(small)) as client:
        declared = _upload(client, world, b"x" * 200_000)
        url = f"/api/submissions/{world.own.submission_id}/versions"
        boundary = "ciqa-boundary"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'.encode(),
            *[b"y" * 16384 for _ in range(10)],
            f"\r\n--{boundary}--\r\n".encode(),
        ]
        headers = bearer(world, "university") | {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        streamed = client.post(url, content=iter(parts), headers=headers)
        just_over = _upload(client, world, b"z" * 1001)
    for response in (declared, streamed, just_over):
        assert response.status_code == 413, response.text
        assert response.json()["code"] == "too_large" and "上限" in response.json()["message"]
    assert _stored_files(settings) == [] and published == []


def test_mislabeled_pdf_that_is_a_docx_is_accepted_as_docx(
    client: TestClient, world: World, worker, published: list
) -> None:
    body = _upload(client, world, _docx_bytes(), name="自评报告.pdf").json()
    assert body["version"]["media_type"] == MediaType.DOCX.value
    worker(body["job"]["id"])
    version = client.get(f"/api/versions/{body['version']['id']}", headers=bearer(world, "university")).json()
    assert version["status"] == "ready" and version["media_type"] == MediaType.DOCX.value


def test_corrupt_file_fails_in_chinese_and_the_original_stays(
    client: TestClient, world: World, settings: Settings, worker, published: list
) -> None:
    corrupt = b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml" + b"\xff" * 500
    body = _upload(client, world, corrupt, name="自评报告.docx").json()
    worker(body["job"]["id"])
    headers = bearer(world, "university")
    version = client.get(f"/api/versions/{body['version']['id']}", headers=headers).json()
    job = client.get(f"/api/jobs/{body['job']['id']}", headers=headers).json()
    assert version["status"] == "failed" and "损坏" in version["error_zh"]
    assert job["status"] == "failed" and job["error_zh"] == version["error_zh"]
    assert file_store(settings).read(body["version"]["sha256"]) == corrupt


def test_unsupported_type_is_reported_in_chinese(client: TestClient, world: World, worker, published: list) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    body = _upload(client, world, png, name="报告.pdf").json()
    assert body["version"]["media_type"] is None
    worker(body["job"]["id"])
    version = client.get(f"/api/versions/{body['version']['id']}", headers=bearer(world, "university")).json()
    assert version["status"] == "failed" and "PNG 图片" in version["error_zh"]


def test_upload_then_ingest_then_job_progress(
    client: TestClient, world: World, db: Session, worker, published: list
) -> None:
    body = _upload(client, world, report_bytes(6)).json()
    worker(body["job"]["id"])
    job = client.get(f"/api/jobs/{body['job']['id']}", headers=bearer(world, "university")).json()
    assert (job["status"], job["progress"], job["stage"]) == ("succeeded", 100, "save")
    # Users read stages and statuses in Chinese, never the internal values.
    assert (job["status_zh"], job["stage_zh"]) == ("已完成", "保存分块")
    versions = client.get(f"/api/submissions/{world.own.submission_id}/versions", headers=bearer(world, "expert"))
    assert body["version"]["id"] in [v["id"] for v in versions.json()]


def test_text_field_instead_of_a_file_is_invalid_input_without_reprs(client: TestClient, world: World) -> None:
    """A form field ``file`` that is not a file: FastAPI's message named the type as <class 'str'>."""
    url = f"/api/submissions/{world.own.submission_id}/versions"
    response = client.post(
        url, data={"file": "null"}, files={"other": ("a.txt", b"x")}, headers=bearer(world, "university")
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert "<" not in response.text and response.json()["detail"][0]["loc"] == ["body", "file"]
