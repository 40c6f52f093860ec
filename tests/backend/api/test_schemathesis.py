"""Generated requests against every operation of the OpenAPI document, as every role and anonymously.

Schemathesis draws valid and invalid parameters and bodies (multipart uploads included); path ids are half
the time the world's own or other tenant's objects, so the handlers run past their lookups. Every response
must be below 500, every 4xx must be JSON with a known error code and a Chinese message free of Python
reprs, every response must match the document, and invalid data must be refused. Runs are bounded and
derandomized, so a failure reproduces.
"""

from __future__ import annotations

import re

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.core.transport import Response
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from backend.api.main import create_app
from backend.config import Settings
from backend.errors import ErrorCode
from tests.backend.api.conftest import ROLES, RUBRIC_ID, CaseCampaign, World, bearer

MAX_EXAMPLES = 12
# Responses match the document (status, media type, body schema), and data outside the schema is refused.
SPEC_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance, negative_data_rejection]
ANONYMOUS = "anonymous"
CODES = {code.value for code in ErrorCode}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# A Python repr in a response: <Role.EXPERT: 'expert'>, <object at 0x…>, Role.EXPERT.
REPR = re.compile(r"<[A-Za-z_][\w.]*[: ]|\bRole\.[A-Z]")


def _operations() -> list[tuple[str, str]]:
    paths = create_app(Settings(data_dir="var")).openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def _known_ids(world: World, cases: CaseCampaign) -> dict[str, list[int] | list[str]]:
    """Path parameter values naming real objects, the own side's and the other tenant's, the report and the case
    campaign (with its two cases), and the shipped rubric."""
    sides = (world.own, world.other)
    case_versions = [cases.own_version_id, cases.other_version_id]
    return {
        "submission_id": [s.submission_id for s in sides],
        "version_id": [v for s in sides for v in (s.version_id, s.version2_id)],
        "job_id": [s.job_id for s in sides],
        "review_id": [s.review_id for s in sides],
        "assessment_id": [s.assessment_id for s in sides],
        "campaign_id": [world.campaign_id, cases.campaign_id],
        "version_a": case_versions,
        "version_b": case_versions,
        "rubric_id": [RUBRIC_ID],
    }


def _check(response: Response, case: schemathesis.Case, role: str) -> None:
    # A Word download is bytes, not text: it is checked by its media type only.
    binary = not response.headers.get("content-type", [""])[0].startswith(("application/json", "text/"))
    text = f"<{len(response.content)} bytes>" if binary else response.text
    where = f"{role}: {case.as_curl_command()} -> {response.status_code}: {text[:500]}"
    assert response.status_code < 500, where
    assert not REPR.search(text), f"Python repr in the response: {where}"
    if 400 <= response.status_code < 500:
        assert response.headers["content-type"][0].startswith("application/json"), where
        body = response.json()
        assert body["code"] in CODES, where
        assert CHINESE.search(body["message"]), where


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> OpenApiSchema:
    """The OpenAPI document, loaded once: every test's app serves the same one."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("schema")))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
@pytest.mark.parametrize(("method", "path"), _operations())
def test_generated_requests_get_no_server_error(
    schema: OpenApiSchema,
    app: FastAPI,
    world: World,
    case_campaign: CaseCampaign,
    method: str,
    path: str,
    role: str,
) -> None:
    operation = schema[path][method]
    # A role's token is fixed (never negated); anonymous requests carry whatever credentials are generated.
    headers = {} if role == ANONYMOUS else bearer(world, role)
    known = _known_ids(world, case_campaign)
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    cases = st.one_of(*(operation.as_strategy(mode, headers=headers) for mode in modes))

    @given(case=cases, data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        # Only valid cases get real ids: an invalid id must stay invalid for the rejection check.
        if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
            for name in list(case.path_parameters or {}):
                if name in known and data.draw(st.booleans(), label=f"known {name}"):
                    case.path_parameters[name] = data.draw(st.sampled_from(known[name]), label=name)
        response = case.call(app=app)
        _check(response, case, role)
        case.validate_response(response, checks=SPEC_CHECKS)

    run()
