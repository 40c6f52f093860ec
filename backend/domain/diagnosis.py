"""The diagnosis's stored vocabulary: who answers (respondent roles), a response's status, one answer."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

COMMENT_MAX = 1000


class RespondentRole(StrEnum):
    """Whose view a response gives: several parts of the university answer the same questionnaire."""

    LEADERSHIP = "leadership"
    QA_OFFICE = "qa_office"
    SCHOOL = "school"
    DEPARTMENT = "department"
    FACULTY = "faculty"
    OTHER = "other"

    @property
    def zh(self) -> str:
        """The label respondents choose."""
        return RESPONDENT_ROLE_ZH[self]


RESPONDENT_ROLE_ZH = {
    RespondentRole.LEADERSHIP: "校领导",
    RespondentRole.QA_OFFICE: "质保机构",
    RespondentRole.SCHOOL: "学院",
    RespondentRole.DEPARTMENT: "职能部门",
    RespondentRole.FACULTY: "教师代表",
    RespondentRole.OTHER: "其他",
}


class ResponseStatus(StrEnum):
    """A response is a draft until its respondent submits it complete; only submitted ones count."""

    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def zh(self) -> str:
        """The status as users read it."""
        return "已提交" if self is ResponseStatus.SUBMITTED else "草稿"


class Answer(BaseModel):
    """One respondent's answer to one 审核重点: a level of the rubric's scale, a comment, linked uploads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    point_id: str
    level: str | None = Field(default=None, description="a scale level id; None while the draft leaves it open")
    comment: Annotated[str, Field(max_length=COMMENT_MAX)] = ""
    version_ids: tuple[int, ...] = Field(default=(), description="uploaded documents of the institution cited")
