"""Every endpoint × every role × own vs other tenant: allowed, 403 for the role, or 404 for other tenants.

The cases are generated from the app's routes: an endpoint without a row in MATRIX fails
``test_route_has_a_matrix_row``, and its cases fail with a message naming the missing row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from backend.api.main import create_app
from backend.config import Settings
from tests.backend.api.conftest import PASSWORD, ROLES, RUBRIC_ID, CaseCampaign, Side, World, bearer

OK, FORBIDDEN, NOT_FOUND = "ok", 403, 404
Outcome = str | int


@dataclass(frozen=True)
class Row:
    """Expected outcome per role, as (own, other); ``body`` builds the request's keyword arguments."""

    expect: dict[str, tuple[Outcome, Outcome]]
    body: Callable[[World, Side], dict[str, object]] = lambda w, s: {}
    public: bool = False


def _roles(allowed: dict[str, tuple[Outcome, Outcome]]) -> dict[str, tuple[Outcome, Outcome]]:
    return {r: allowed.get(r, (FORBIDDEN, FORBIDDEN)) for r in ROLES}


EVERYONE = _roles({r: (OK, OK) for r in ROLES})
# Tenant data: a university sees its own institution's, an expert its assigned submission's.
TENANT_READ = _roles({"university": (OK, NOT_FOUND), "expert": (OK, NOT_FOUND), "secretariat": (OK, OK)})
READERS = _roles({"university": (OK, OK), "expert": (OK, OK), "secretariat": (OK, OK)})
# Campaign-wide data (ranking, 案例查重, 案例集): the secretariat only; an admin reads no review data.
SECRETARIAT = _roles({"secretariat": (OK, OK)})
# A university's self-diagnosis: its own users only; the secretariat reads anonymised category means instead.
OWN_INSTITUTION = _roles({"university": (OK, NOT_FOUND)})


def _upload(w: World, s: Side) -> dict[str, object]:
    return {"files": {"file": ("报告.txt", "一、学校概况\n学校创建于1952年。".encode())}}


MATRIX: dict[tuple[str, str], Row] = {
    ("POST", "/api/auth/login"): Row(
        EVERYONE, lambda w, s: {"json": {"username": w.usernames["university"], "password": PASSWORD}}, public=True
    ),
    ("POST", "/api/auth/logout"): Row(EVERYONE),
    ("GET", "/api/me"): Row(EVERYONE),
    ("POST", "/api/auth/tokens"): Row(EVERYONE, lambda w, s: {"json": {"label": "脚本"}}),
    ("GET", "/api/institutions"): Row(_roles({"admin": (OK, OK), "secretariat": (OK, OK)})),
    ("POST", "/api/institutions"): Row(
        _roles({"admin": (OK, OK)}), lambda w, s: {"json": {"name": f"新大学{s.institution_id}", "type": "高职"}}
    ),
    ("GET", "/api/users"): Row(_roles({"admin": (OK, OK), "secretariat": (OK, OK)})),
    ("POST", "/api/users"): Row(
        _roles({"admin": (OK, OK)}),
        lambda w, s: {
            "json": {
                "username": f"new-{s.institution_id}",
                "password": PASSWORD,
                "role": "university",
                "institution_id": s.institution_id,
            }
        },
    ),
    ("GET", "/api/rubrics"): Row(EVERYONE),
    ("GET", "/api/rubrics/{rubric_id}"): Row(EVERYONE),
    ("GET", "/api/campaigns"): Row(READERS),
    ("POST", "/api/campaigns"): Row(
        _roles({"secretariat": (OK, OK)}),
        lambda w, s: {"json": {"name": "案例遴选", "rubric_id": "case-selection", "kind": "case"}},
    ),
    ("GET", "/api/campaigns/{campaign_id}"): Row(READERS),
    ("GET", "/api/campaigns/{campaign_id}/ranking"): Row(SECRETARIAT),
    ("GET", "/api/campaigns/{campaign_id}/duplicates"): Row(SECRETARIAT),
    ("GET", "/api/campaigns/{campaign_id}/duplicates/{version_a}/{version_b}"): Row(SECRETARIAT),
    ("POST", "/api/campaigns/{campaign_id}/duplicates/{version_a}/{version_b}/verdict"): Row(
        SECRETARIAT, lambda w, s: {"json": {"verdict": "not_duplicate", "note": "同题不同校"}}
    ),
    ("GET", "/api/campaigns/{campaign_id}/case-collection.docx"): Row(SECRETARIAT),
    ("GET", "/api/campaigns/{campaign_id}/case-collection.xlsx"): Row(SECRETARIAT),
    ("PUT", "/api/campaigns/{campaign_id}/review-due"): Row(
        _roles({"secretariat": (OK, OK)}), lambda w, s: {"json": {"review_due_at": "2099-06-30T17:00:00"}}
    ),
    ("GET", "/api/assignments"): Row(_roles({"expert": (OK, OK), "secretariat": (OK, OK)})),
    ("POST", "/api/assignments"): Row(
        _roles({"secretariat": (OK, OK)}),
        lambda w, s: {"json": {"expert_id": w.spare_expert_id, "submission_id": s.submission_id}},
    ),
    ("GET", "/api/submissions"): Row(READERS),
    ("POST", "/api/submissions"): Row(
        _roles({"university": (OK, OK)}), lambda w, s: {"json": {"title": "新报告", "campaign_id": w.campaign_id}}
    ),
    ("GET", "/api/submissions/{submission_id}"): Row(TENANT_READ),
    ("GET", "/api/submissions/{submission_id}/versions"): Row(TENANT_READ),
    ("POST", "/api/submissions/{submission_id}/versions"): Row(_roles({"university": (OK, NOT_FOUND)}), _upload),
    ("GET", "/api/versions/{version_id}"): Row(TENANT_READ),
    ("DELETE", "/api/versions/{version_id}"): Row(_roles({"university": (OK, NOT_FOUND)})),
    ("GET", "/api/versions/{version_id}/facts"): Row(TENANT_READ),
    ("GET", "/api/submissions/{submission_id}/consistency"): Row(TENANT_READ),
    ("GET", "/api/versions/{version_id}/jobs"): Row(TENANT_READ),
    ("GET", "/api/jobs/{job_id}"): Row(TENANT_READ),
    ("POST", "/api/versions/{version_id}/reviews"): Row(
        _roles({"university": (OK, NOT_FOUND), "secretariat": (OK, OK)}),
        lambda w, s: {"json": {"rubric_id": RUBRIC_ID, "drafter": "extractive"}},
    ),
    ("GET", "/api/versions/{version_id}/reviews"): Row(TENANT_READ),
    ("GET", "/api/reviews/{review_id}"): Row(TENANT_READ),
    ("GET", "/api/assessments/{assessment_id}"): Row(TENANT_READ),
    ("POST", "/api/assessments/{assessment_id}/decisions"): Row(
        _roles({"expert": (OK, NOT_FOUND)}), lambda w, s: {"json": {"action": "accept"}}
    ),
    ("GET", "/api/assessments/{assessment_id}/decisions"): Row(TENANT_READ),
    ("GET", "/api/versions/{version_id}/comparison"): Row(TENANT_READ),
    # Report drafts are the university's working material: no other role reads them (a finalised draft is a version).
    ("POST", "/api/submissions/{submission_id}/drafts"): Row(
        _roles({"university": (OK, NOT_FOUND)}), lambda w, s: {"json": {"rubric_id": "audit-2021-type2"}}
    ),
    ("GET", "/api/submissions/{submission_id}/drafts"): Row(_roles({"university": (OK, NOT_FOUND)})),
    ("GET", "/api/drafts/{draft_id}"): Row(_roles({"university": (OK, NOT_FOUND)})),
    ("PUT", "/api/drafts/{draft_id}/sections/{indicator_id}"): Row(
        _roles({"university": (OK, NOT_FOUND)}), lambda w, s: {"json": {"text": "学校修改后的本节内容。"}}
    ),
    ("GET", "/api/drafts/{draft_id}/docx"): Row(_roles({"university": (OK, NOT_FOUND)})),
    ("POST", "/api/drafts/{draft_id}/finalise"): Row(_roles({"university": (OK, NOT_FOUND)})),
    ("GET", "/api/diagnoses"): Row(_roles({"university": (OK, OK)})),
    ("POST", "/api/diagnoses"): Row(_roles({"university": (OK, OK)}), lambda w, s: {"json": {"title": "第二轮"}}),
    ("GET", "/api/diagnoses/{diagnosis_id}/questionnaire"): Row(OWN_INSTITUTION),
    ("GET", "/api/diagnoses/{diagnosis_id}/response"): Row(OWN_INSTITUTION),
    ("PUT", "/api/diagnoses/{diagnosis_id}/response"): Row(
        OWN_INSTITUTION, lambda w, s: {"json": {"role": "school", "answers": [{"point_id": "1.1.1", "level": "B"}]}}
    ),
    ("GET", "/api/diagnoses/{diagnosis_id}/result"): Row(OWN_INSTITUTION),
    ("GET", "/api/diagnosis/benchmarks"): Row(_roles({"secretariat": (OK, OK)})),
}


def _routes() -> list[tuple[str, str]]:
    paths = create_app(Settings(data_dir="var")).openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


ROUTES = _routes()


def _url(method: str, template: str, w: World, s: Side, cases: CaseCampaign) -> str:
    # The comparison of a version is with the one before it, so 'version_id' there is the second upload;
    # only a version whose processing failed can be deleted.
    version_id = s.version2_id if template.endswith("/comparison") else s.version_id
    if method == "DELETE" and template == "/api/versions/{version_id}":
        version_id = s.failed_version_id
    # Duplicates and the 案例集 exist only in a case campaign (a report campaign answers 404).
    case_only = "/duplicates" in template or "/case-collection" in template
    return template.format(
        campaign_id=cases.campaign_id if case_only else w.campaign_id,
        version_a=cases.own_version_id,
        version_b=cases.other_version_id,
        rubric_id=RUBRIC_ID,
        submission_id=s.submission_id,
        version_id=version_id,
        job_id=s.job_id,
        review_id=s.review_id,
        assessment_id=s.assessment_id,
        draft_id=s.draft_id,
        indicator_id="1.1",
        diagnosis_id=s.diagnosis_id,
    )


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_route_has_a_matrix_row(method: str, path: str) -> None:
    assert (method, path) in MATRIX, f"add a row for {method} {path} to MATRIX"


def test_matrix_has_no_stale_rows() -> None:
    assert set(MATRIX) <= set(ROUTES)


@pytest.mark.parametrize("side", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_authorization(
    client: TestClient, world: World, case_campaign: CaseCampaign, method: str, path: str, role: str, side: str
) -> None:
    row = MATRIX.get((method, path))
    assert row is not None, f"no MATRIX row for {method} {path}"
    target = world.own if side == "own" else world.other
    expected = row.expect[role][0 if side == "own" else 1]
    headers = {} if row.public else bearer(world, role)
    url = _url(method, path, world, target, case_campaign)
    response = client.request(method, url, headers=headers, **row.body(world, target))
    if expected == OK:
        assert response.status_code < 300, (response.status_code, response.json())
    else:
        assert response.status_code == expected, response.text
        assert response.json()["code"] == ("forbidden" if expected == FORBIDDEN else "not_found")


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if not MATRIX.get(r, Row({})).public])
def test_anonymous_is_refused(
    client: TestClient, world: World, case_campaign: CaseCampaign, method: str, path: str
) -> None:
    response = client.request(method, _url(method, path, world, world.own, case_campaign))
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": "请先登录。",
        "detail": "no valid session or bearer token",
    }
