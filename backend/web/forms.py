"""Form parsing for the secretariat's pages and the diagnosis questionnaire: text fields into typed values, problems
per field in Chinese."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import ValidationError
from starlette.datastructures import FormData

from backend.campaigns import CampaignSettings
from backend.db.models import CampaignQuotas, TagQuota
from backend.domain.diagnosis import COMMENT_MAX, Answer, RespondentRole
from backend.domain.enums import InstitutionType, SubmissionKind
from backend.errors import AppError, ErrorCode

# Blank rows the campaign form offers for tagged seats (其中数字化 …).
TAGGED_ROWS = 3
# The scope value of a tagged quota across every category (50 所中数字化 5 所).
ACROSS = "all"


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _count(form: FormData, name: str, errors: dict[str, str], *, empty: int | None) -> int | None:
    text = _text(form, name)
    if not text:
        return empty
    if not text.isdigit():
        errors[name] = "请填写不小于 0 的整数。"
        return empty
    return int(text)


WHEN_FORMAT_ZH = "日期时间格式应为 2026-06-30 17:00。"


def _when(form: FormData, name: str, errors: dict[str, str]) -> dt.datetime | None:
    text = _text(form, name)
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        errors[name] = WHEN_FORMAT_ZH
        return None


def parse_when(text: str) -> dt.datetime:
    """A required date and time field (Beijing time when without a zone); INVALID_INPUT when empty or malformed."""
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise AppError(ErrorCode.INVALID_INPUT, WHEN_FORMAT_ZH, f"bad datetime {text!r}") from exc


def campaign_settings(form: FormData) -> tuple[CampaignSettings | None, dict[str, str]]:
    """The campaign form as settings, or None with the problems per field (quotas: ``tagged``)."""
    errors: dict[str, str] = {}
    by_type = {t: n for t in InstitutionType if (n := _count(form, f"quota_{t.name}", errors, empty=None)) is not None}
    tagged = []
    for i in range(TAGGED_ROWS):
        tag, seats = _text(form, f"tag_{i}"), _count(form, f"tag_seats_{i}", errors, empty=None)
        if tag or seats:
            category = _text(form, f"tag_type_{i}")
            if category not in {*(t.value for t in InstitutionType), ACROSS} or not tag or seats is None:
                errors["tagged"] = "标签名额须填写范围（某一类别或全部类别）、标签名称和名额数。"
                continue
            kind = None if category == ACROSS else InstitutionType(category)
            tagged.append(TagQuota(type=kind, tag=tag, seats=seats))
    try:
        quotas = CampaignQuotas(by_type=by_type, total=_count(form, "total", errors, empty=None), tagged=tuple(tagged))
    except ValidationError as exc:
        errors["tagged"] = "；".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        quotas = CampaignQuotas()
    kind = _text(form, "kind")
    if kind not in {k.value for k in SubmissionKind}:
        errors["kind"] = "请选择材料类型。"
    if not _text(form, "name"):
        errors["name"] = "请填写活动名称。"
    values = CampaignSettings(
        name=_text(form, "name"),
        rubric_id=_text(form, "rubric_id"),
        kind=SubmissionKind(kind) if kind in {k.value for k in SubmissionKind} else SubmissionKind.SELF_EVALUATION,
        deadline=_when(form, "deadline", errors),
        quotas=quotas,
        experts_per_submission=_count(form, "experts_per_submission", errors, empty=2) or 0,
        expert_load_limit=_count(form, "expert_load_limit", errors, empty=None),
        review_due_at=_when(form, "review_due_at", errors),
        # A checkbox: present when ticked (the form always renders it, so absence means unticked).
        expert_results_visible=form.get("expert_results_visible") == "on",
    )
    if values.experts_per_submission < 1:
        errors["experts_per_submission"] = "每份材料至少分配 1 位专家。"
    if values.expert_load_limit == 0:
        errors["expert_load_limit"] = "评审上限至少为 1 份；不限请留空。"
    return (None if errors else values), errors


def diagnosis_answers(
    form: FormData, point_ids: Sequence[str]
) -> tuple[RespondentRole | None, list[Answer], dict[str, str]]:
    """The questionnaire form (``level_<id>``, ``comment_<id>``, ``docs_<id>`` per point) as answers, with problems."""
    errors: dict[str, str] = {}
    role = _text(form, "role")
    if role not in {r.value for r in RespondentRole}:
        errors["role"] = "请选择填写人身份（校领导、质保机构、学院等）。"
    answers = []
    for point_id in point_ids:
        comment = _text(form, f"comment_{point_id}")
        if len(comment) > COMMENT_MAX:
            errors[f"comment_{point_id}"] = f"说明不能超过 {COMMENT_MAX} 字（现有 {len(comment)} 字）。"
            comment = comment[:COMMENT_MAX]
        docs = [d for d in form.getlist(f"docs_{point_id}") if isinstance(d, str) and d.isdigit()]
        answers.append(
            Answer(
                point_id=point_id,
                level=_text(form, f"level_{point_id}") or None,
                comment=comment,
                version_ids=tuple(int(d) for d in docs),
            )
        )
    return (RespondentRole(role) if role in {r.value for r in RespondentRole} else None), answers, errors
