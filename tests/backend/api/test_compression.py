"""Responses over 1 KB are gzip-compressed for clients that accept it; small ones go out as they are."""

from __future__ import annotations

import gzip

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from backend.api.main import GZIP_MINIMUM_BYTES
from tests.backend.api.conftest import World, bearer, stored_review

GZIP = {"Accept-Encoding": "gzip"}


def _raw(client: TestClient, url: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """Headers and the body bytes exactly as sent (httpx would decompress them)."""
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


def test_openapi_document_is_gzipped(client: TestClient) -> None:
    headers, body = _raw(client, "/openapi.json", GZIP)
    assert headers["content-encoding"] == "gzip" and "accept-encoding" in headers["vary"].lower()
    plain = gzip.decompress(body)
    assert plain == client.get("/openapi.json", headers={"Accept-Encoding": "identity"}).content
    assert len(body) < len(plain) / 3


def test_review_is_gzipped(client: TestClient, world: World, db: Session) -> None:
    review_id, _ = stored_review(db, version_id=world.own.version_id, indicators=12)
    headers, body = _raw(client, f"/api/reviews/{review_id}", GZIP | bearer(world, "university"))
    plain = gzip.decompress(body)
    assert headers["content-encoding"] == "gzip" and b'"indicator_id":"1.12"' in plain
    assert len(body) < len(plain) / 3


def test_assessment_evidence_is_gzipped_and_revalidates_in_either_encoding(client: TestClient, world: World) -> None:
    url = f"/api/assessments/{world.own.assessment_id}"
    auth = bearer(world, "university")
    gz_headers, body = _raw(client, url, GZIP | auth)
    plain_headers, plain = _raw(client, url, {"Accept-Encoding": "identity"} | auth)
    assert gz_headers["content-encoding"] == "gzip" and "content-encoding" not in plain_headers
    assert gzip.decompress(body) == plain and b'"indicator_id"' in plain
    assert gz_headers["etag"] == plain_headers["etag"]
    again = client.get(url, headers=GZIP | auth | {"If-None-Match": plain_headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_docs_script_is_gzipped(client: TestClient) -> None:
    headers, body = _raw(client, "/docs-assets/swagger-ui/swagger-ui-bundle.js", GZIP)
    assert headers["content-encoding"] == "gzip" and len(body) < 600_000


def test_small_response_is_not_compressed(client: TestClient, world: World) -> None:
    headers, body = _raw(client, "/api/me", GZIP | bearer(world, "university"))
    assert "content-encoding" not in headers and len(body) < GZIP_MINIMUM_BYTES
    assert b'"role":"university"' in body


def test_client_without_gzip_gets_plain_json(client: TestClient) -> None:
    headers, body = _raw(client, "/openapi.json", {"Accept-Encoding": "identity"})
    assert "content-encoding" not in headers and body.startswith(b"{")
