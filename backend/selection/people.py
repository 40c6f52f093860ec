"""Institutions and expert accounts added by the secretariat or the administrator, one by one or from a workbook.

A workbook is imported whole or not at all: every row is checked first, and the errors name their row.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy.orm import Session

from backend.auth.accounts import (
    ID_LENGTH,
    MIN_PASSWORD_LENGTH,
    NAME_LENGTH,
    USERNAME_PATTERN,
    create_account,
    create_institution,
    generate_password,
)
from backend.db.models import Institution, Role, User
from backend.db.queries import institutions, selection, users
from backend.domain.enums import InstitutionType
from backend.errors import AppError, ErrorCode

INSTITUTION_COLUMNS = ("名称", "类型", "地区")
EXPERT_COLUMNS = ("账号", "姓名", "所属单位", "回避单位", "初始密码")
# Several declared conflicts in one cell: 、 ， , ； ; or a line break between names.
LIST_SEPARATORS = ("，", ",", "；", ";", "\n")


@dataclass(frozen=True)
class RowError:
    """Why a row of a workbook cannot be imported (row 1 is the header)."""

    row: int
    message: str


@dataclass(frozen=True)
class NewExpert:
    """An expert account that was added, with its password to hand over once."""

    user: User
    password: str


@dataclass(frozen=True)
class ImportResult:
    """What an import added, or why it added nothing."""

    institutions: tuple[Institution, ...] = ()
    experts: tuple[NewExpert, ...] = ()
    errors: tuple[RowError, ...] = ()


def _rows(data: bytes, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise AppError(ErrorCode.INVALID_INPUT, "无法读取该文件，请上传 Excel 工作簿（.xlsx）。", str(exc)) from exc
    found = list(sheet.iter_rows(values_only=True))
    if not found:
        raise AppError(ErrorCode.INVALID_INPUT, "工作簿是空的。", "empty workbook")
    header = [str(v or "").strip() for v in found[0]]
    missing = [c for c in columns[:2] if c not in header]
    if missing:
        raise AppError(
            ErrorCode.INVALID_INPUT,
            f"第 1 行须为表头：{'、'.join(columns)}（缺少：{'、'.join(missing)}）。",
            str(header),
        )
    rows = []
    for n, values in enumerate(found[1:], start=2):
        cells = {h: str(v).strip() if v is not None else "" for h, v in zip(header, values, strict=False) if h}
        if any(cells.values()):
            rows.append((n, cells))
    return rows


def check_institution(session: Session, *, name: str, type_text: str) -> str | None:
    """Why an institution cannot be added (None: it can)."""
    if not name or len(name) > NAME_LENGTH:
        return f"单位名称不能为空，最长 {NAME_LENGTH} 个字符。"
    if type_text not in {t.value for t in InstitutionType}:
        return f"类型须为{'、'.join(t.value for t in InstitutionType)}之一。"
    if institutions.find_institution_by_name(session, name=name) is not None:
        return f"单位「{name}」已存在。"
    return None


def add_institution(session: Session, *, name: str, type_text: str, region: str, actor_id: int) -> Institution:
    """Add an institution with its category (INVALID_INPUT naming the problem otherwise)."""
    problem = check_institution(session, name=name.strip(), type_text=type_text)
    if problem is not None:
        raise AppError(ErrorCode.INVALID_INPUT, problem, f"institution {name!r}")
    return create_institution(
        session, name=name.strip(), type=InstitutionType(type_text), region=region.strip(), actor_id=actor_id
    )


def import_institutions(session: Session, *, data: bytes, actor_id: int) -> ImportResult:
    """Add the institutions of a workbook (名称, 类型, 地区), all or none."""
    rows = _rows(data, INSTITUTION_COLUMNS)
    errors, names = [], set()
    for n, cells in rows:
        problem = check_institution(session, name=cells.get("名称", ""), type_text=cells.get("类型", ""))
        if problem is None and cells["名称"] in names:
            problem = f"单位「{cells['名称']}」在表中重复。"
        if problem is not None:
            errors.append(RowError(n, problem))
        names.add(cells.get("名称", ""))
    if errors:
        return ImportResult(errors=tuple(errors))
    added = tuple(
        create_institution(
            session,
            name=cells["名称"],
            type=InstitutionType(cells["类型"]),
            region=cells.get("地区", ""),
            actor_id=actor_id,
        )
        for _, cells in rows
    )
    return ImportResult(institutions=added)


def _split(text: str) -> list[str]:
    for sep in LIST_SEPARATORS:
        text = text.replace(sep, "、")
    return [part.strip() for part in text.split("、") if part.strip()]


@dataclass(frozen=True)
class ExpertInput:
    """An expert account as entered: institution and conflicts by name; an empty password is generated."""

    username: str
    display_name: str
    institution: str
    conflicts: tuple[str, ...]
    password: str


def check_expert(session: Session, expert: ExpertInput) -> dict[str, str]:
    """Problems per field (``username``, ``password``, ``employer``, ``conflicts``); empty when it can be added."""
    problems = {}
    if not re.fullmatch(USERNAME_PATTERN, expert.username) or len(expert.username) > ID_LENGTH:
        problems["username"] = f"账号只能由字母、数字、下划线、点、@ 和 - 组成，最长 {ID_LENGTH} 个字符。"
    elif users.find_user_by_username(session, username=expert.username) is not None:
        problems["username"] = f"账号「{expert.username}」已存在。"
    if expert.password and len(expert.password) < MIN_PASSWORD_LENGTH:
        problems["password"] = f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。"
    if expert.institution and institutions.find_institution_by_name(session, name=expert.institution) is None:
        problems["employer"] = f"单位「{expert.institution}」不存在。"
    unknown = [c for c in expert.conflicts if institutions.find_institution_by_name(session, name=c) is None]
    if unknown:
        problems["conflicts"] = f"回避单位不存在：{'、'.join(unknown)}。"
    return problems


def add_expert(session: Session, expert: ExpertInput, *, actor_id: int) -> NewExpert:
    """Add an expert account with its institution and declared conflicts (check with :func:`check_expert` first)."""
    institution = (
        institutions.find_institution_by_name(session, name=expert.institution) if expert.institution else None
    )
    password = expert.password or generate_password()
    user = create_account(
        session,
        username=expert.username,
        password=password,
        role=Role.EXPERT,
        display_name=expert.display_name,
        institution_id=institution.id if institution else None,
        actor_id=actor_id,
    )
    conflicts = [institutions.find_institution_by_name(session, name=c) for c in expert.conflicts]
    selection.set_conflicts(session, expert_id=user.id, institution_ids=[c.id for c in conflicts if c is not None])
    return NewExpert(user, password)


def import_experts(session: Session, *, data: bytes, actor_id: int) -> ImportResult:
    """Add the expert accounts of a workbook (账号, 姓名, 所属单位, 回避单位, 初始密码), all or none."""
    entries, errors, seen = [], [], set()
    for n, cells in _rows(data, EXPERT_COLUMNS):
        expert = ExpertInput(
            username=cells.get("账号", ""),
            display_name=cells.get("姓名", ""),
            institution=cells.get("所属单位", ""),
            conflicts=tuple(_split(cells.get("回避单位", ""))),
            password=cells.get("初始密码", ""),
        )
        problems = list(check_expert(session, expert).values())
        if expert.username in seen:
            problems.append(f"账号「{expert.username}」在表中重复。")
        seen.add(expert.username)
        errors += [RowError(n, p) for p in problems]
        entries.append(expert)
    if errors:
        return ImportResult(errors=tuple(errors))
    return ImportResult(experts=tuple(add_expert(session, e, actor_id=actor_id) for e in entries))


def experts_with_conflicts(session: Session) -> list[tuple[User, tuple[Institution, ...]]]:
    """Every expert with the institutions they declared a conflict with."""
    declared: dict[int, list[Institution]] = {}
    for c in selection.list_conflicts(session):
        declared.setdefault(c.expert_id, []).append(c.institution)
    return [(u, tuple(declared.get(u.id, ()))) for u in users.list_users(session, role=Role.EXPERT)]
