"""The rubrics (指标体系) the service can review with, for every signed-in user."""

from __future__ import annotations

from backend.api.deps import CurrentUser, SettingsDep
from backend.api.routing import Router
from backend.api.schemas import RubricOut, RubricSummaryOut
from backend.rubrics.registry import rubric_registry

router = Router(tags=["rubrics"])


@router.get("/rubrics")
def list_rubrics(user: CurrentUser, settings: SettingsDep) -> list[RubricSummaryOut]:
    """Every rubric (latest version) with what it applies to: pass its id as ``rubric_id`` when uploading."""
    registry = rubric_registry(settings)
    return [RubricSummaryOut.of(r, registry.versions(r.id)) for r in registry.list()]


@router.get("/rubrics/{rubric_id}")
def get_rubric(rubric_id: str, user: CurrentUser, settings: SettingsDep, version: str | None = None) -> RubricOut:
    """A rubric's scale and indicator tree, at ``version`` or the latest."""
    return RubricOut.model_validate(rubric_registry(settings).get(rubric_id, version))
