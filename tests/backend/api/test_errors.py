"""Errors are JSON with a stable code and a Chinese message; every ErrorCode has an HTTP status."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.api.main import HTTP_STATUS
from backend.errors import ErrorCode
from tests.backend.api.conftest import World, bearer


def test_every_error_code_maps_to_an_http_status() -> None:
    assert set(HTTP_STATUS) == set(ErrorCode)


def test_not_found_object_is_json_in_chinese(client: TestClient, world: World) -> None:
    response = client.get("/api/submissions/999999", headers=bearer(world, "secretariat"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and response.json()["message"] == "材料不存在。"


def test_other_tenant_looks_exactly_like_a_missing_object(client: TestClient, world: World) -> None:
    headers = bearer(world, "university")
    missing = client.get("/api/submissions/999999", headers=headers).json()
    hidden = client.get(f"/api/submissions/{world.other.submission_id}", headers=headers).json()
    assert (missing["code"], missing["message"]) == (hidden["code"], hidden["message"])


def test_invalid_body_is_422_with_chinese_message(client: TestClient, world: World) -> None:
    response = client.post("/api/submissions", json={"title": ""}, headers=bearer(world, "university"))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input" and body["message"] == "请求参数无效，请检查后重试。"
    assert body["detail"][0]["loc"] == ["body", "title"]


def test_unknown_route_is_json(client: TestClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_duplicate_name_is_409(client: TestClient, world: World) -> None:
    body = {"name": "甲大学", "type": "应用型"}
    response = client.post("/api/institutions", json=body, headers=bearer(world, "admin"))
    assert response.status_code == 409 and response.json()["code"] == "conflict"


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/api/submissions/{submission_id}/versions" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_undecodable_body_is_400_with_chinese_message(client: TestClient, world: World) -> None:
    headers = bearer(world, "university") | {"Content-Type": "application/json"}
    response = client.post("/api/submissions", content=b"\xff\xfe{", headers=headers)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_input",
        "message": "请求内容无法解析，请检查格式（例如 JSON）后重试。",
        "detail": "There was an error parsing the body",
    }


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/versions/9223372036854775808", None),
        ("GET", "/api/submissions/2147483648", None),
        ("GET", "/api/submissions?campaign_id=99999999999999999999", None),
        ("GET", "/api/versions/1/comparison?previous=0", None),
        ("POST", "/api/assignments", {"expert_id": 2**63, "submission_id": 1}),
    ],
)
def test_id_out_of_range_is_invalid_input(
    client: TestClient, world: World, method: str, url: str, body: dict[str, int] | None
) -> None:
    """Ids beyond the database's INTEGER are refused as input, not passed to the database (a 500 before)."""
    response = client.request(method, url, json=body, headers=bearer(world, "secretariat"))
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"


def test_openapi_documents_the_error_body_for_every_operation(client: TestClient) -> None:
    """The documented 4xx body is the one the app sends, not FastAPI's default validation error."""
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            error = operation["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
            assert "422" not in operation["responses"], (method, path)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert set(schema["components"]["schemas"]["ErrorOut"]["required"]) == {"code", "message"}


@pytest.mark.parametrize(
    ("url", "role", "body"),
    [
        ("/api/auth/tokens", "university", {"ttl_days": True}),
        ("/api/auth/tokens", "university", {"ttl_days": "30"}),
        ("/api/submissions", "university", {"title": "报告", "campaign_id": "1"}),
    ],
)
def test_json_numbers_are_not_coerced(
    client: TestClient, world: World, url: str, role: str, body: dict[str, object]
) -> None:
    """A JSON body's integer must be a number: true is not 1 and "30" is not 30 (both were accepted)."""
    response = client.post(url, json=body, headers=bearer(world, role))
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"


def test_json_true_is_no_submission_id(client: TestClient, world: World) -> None:
    body = {"expert_id": world.spare_expert_id, "submission_id": True}
    response = client.post("/api/assignments", json=body, headers=bearer(world, "secretariat"))
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "submission_id"]


def test_a_defect_is_json_500_without_a_trace(app, world: World, monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("simulated defect")

    monkeypatch.setattr("backend.api.routers.auth.users.get_user", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/me", headers=bearer(world, "university"))
        assert response.status_code == 500
        assert response.json() == {"code": "internal", "message": response.json()["message"], "detail": None}
        assert "系统内部错误" in response.json()["message"]
        assert client.get("/api/rubrics", headers=bearer(world, "university")).status_code == 200
    assert "simulated defect" in caplog.text
