"""Shared vocabulary of the service: the enums that the database, rubrics, review and API all speak."""

from __future__ import annotations

from enum import StrEnum


class InstitutionType(StrEnum):
    """分类评价: institutions are judged within their category."""

    RESEARCH = "研究型"
    APPLIED = "应用型"
    VOCATIONAL = "高职"


class SubmissionKind(StrEnum):
    """What a university submits: a self-evaluation report or a case (优秀案例)."""

    SELF_EVALUATION = "self_evaluation"
    CASE = "case"

    @property
    def zh(self) -> str:
        """The Chinese name users see."""
        return SUBMISSION_KIND_ZH[self]


SUBMISSION_KIND_ZH = {SubmissionKind.SELF_EVALUATION: "自评报告", SubmissionKind.CASE: "优秀案例"}


class Mark(StrEnum):
    """The three marks experts put on a review point in the online 审核评估 review."""

    CLEAR = "clear"
    MORE_MATERIAL = "more_material"
    VERIFY_ON_SITE = "verify_on_site"

    @property
    def zh(self) -> str:
        """The Chinese name experts use."""
        return MARK_ZH[self]


MARK_ZH = {Mark.CLEAR: "句号", Mark.MORE_MATERIAL: "破折号", Mark.VERIFY_ON_SITE: "问号"}


class DecisionAction(StrEnum):
    """What the expert did with the AI suggestion."""

    ACCEPT = "accept"
    EDIT = "edit"
    REJECT = "reject"
