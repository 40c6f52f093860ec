"""A 404 names the object asked for, and another tenant's object gets exactly the answer of a missing one;
a 403 names roles as plain words, never as Python reprs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.backend.api.conftest import PASSWORD, RUBRIC_ID, Side, World, bearer

MISSING = 999_999

# (url of an object of a side, given its id; the object's name in the message)
TENANT_OBJECTS: dict[str, tuple[Callable[[Side | None], str], str]] = {
    "submission": (lambda s: f"/api/submissions/{s.submission_id if s else MISSING}", "材料"),
    "submission versions": (lambda s: f"/api/submissions/{s.submission_id if s else MISSING}/versions", "材料"),
    "version": (lambda s: f"/api/versions/{s.version_id if s else MISSING}", "文件版本"),
    "submission consistency": (lambda s: f"/api/submissions/{s.submission_id if s else MISSING}/consistency", "材料"),
    "version facts": (lambda s: f"/api/versions/{s.version_id if s else MISSING}/facts", "文件版本"),
    "version reviews": (lambda s: f"/api/versions/{s.version_id if s else MISSING}/reviews", "文件版本"),
    "job": (lambda s: f"/api/jobs/{s.job_id if s else MISSING}", "任务"),
    "review": (lambda s: f"/api/reviews/{s.review_id if s else MISSING}", "评审结果"),
    "assessment": (lambda s: f"/api/assessments/{s.assessment_id if s else MISSING}/decisions", "指标评估"),
}


@pytest.mark.parametrize("role", ["university", "expert"])
@pytest.mark.parametrize("kind", list(TENANT_OBJECTS))
def test_hidden_object_reads_exactly_like_a_missing_one(client: TestClient, world: World, kind: str, role: str) -> None:
    url, name = TENANT_OBJECTS[kind]
    missing = client.get(url(None), headers=bearer(world, role))
    hidden = client.get(url(world.other), headers=bearer(world, role))
    assert missing.status_code == hidden.status_code == 404
    expected = {"code": "not_found", "message": f"{name}不存在。", "detail": None}
    assert missing.json() == hidden.json() == expected


def test_expert_deciding_on_a_hidden_assessment_is_told_it_does_not_exist(client: TestClient, world: World) -> None:
    response = client.post(
        f"/api/assessments/{world.other.assessment_id}/decisions",
        json={"action": "accept"},
        headers=bearer(world, "expert"),
    )
    assert response.status_code == 404 and response.json()["message"] == "指标评估不存在。"


def test_comparison_with_a_hidden_previous_version(client: TestClient, world: World) -> None:
    url = f"/api/versions/{world.own.version2_id}/comparison?previous={world.other.version_id}"
    response = client.get(url, headers=bearer(world, "university"))
    assert response.status_code == 404 and response.json()["message"] == "文件版本不存在。"


# (method, url, role, request keyword arguments, the object's name)
OTHER_OBJECTS = [
    ("GET", f"/api/campaigns/{MISSING}", "secretariat", {}, "遴选活动"),
    ("GET", f"/api/campaigns/{MISSING}/ranking", "secretariat", {}, "遴选活动"),
    ("POST", "/api/submissions", "university", {"json": {"title": "报告", "campaign_id": MISSING}}, "遴选活动"),
    (
        "POST",
        "/api/users",
        "admin",
        {"json": {"username": "new", "password": PASSWORD, "role": "university", "institution_id": MISSING}},
        "单位",
    ),
    ("POST", "/api/assignments", "secretariat", {"json": {"expert_id": MISSING, "submission_id": 1}}, "用户"),
    ("POST", f"/api/versions/{MISSING}/reviews", "secretariat", {"json": {"rubric_id": RUBRIC_ID}}, "文件版本"),
]


@pytest.mark.parametrize(("method", "url", "role", "kwargs", "name"), OTHER_OBJECTS)
def test_not_found_names_the_object(
    client: TestClient, world: World, method: str, url: str, role: str, kwargs: dict[str, object], name: str
) -> None:
    response = client.request(method, url, headers=bearer(world, role), **kwargs)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": f"{name}不存在。", "detail": None}


def test_missing_assignment_submission_is_a_material(client: TestClient, world: World) -> None:
    body = {"expert_id": world.spare_expert_id, "submission_id": MISSING}
    response = client.post("/api/assignments", json=body, headers=bearer(world, "secretariat"))
    assert response.status_code == 404 and response.json()["message"] == "材料不存在。"


@pytest.mark.parametrize(
    ("method", "url", "role", "allowed"),
    [
        ("POST", "/api/submissions", "expert", "university"),
        ("GET", "/api/users", "university", "admin, secretariat"),
        ("GET", "/api/campaigns", "admin", "university, expert, secretariat"),
        ("POST", "/api/assessments/1/decisions", "secretariat", "expert"),
    ],
)
def test_forbidden_names_roles_as_plain_words(
    client: TestClient, world: World, method: str, url: str, role: str, allowed: str
) -> None:
    response = client.request(method, url, headers=bearer(world, role), json={})
    assert response.status_code == 403
    assert "<" not in response.text and "Role." not in response.text
    assert response.json() == {
        "code": "forbidden",
        "message": "您的角色无权执行此操作。",
        "detail": f"role {role} not in: {allowed}",
    }
