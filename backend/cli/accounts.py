"""Terminal presentation of ``ciqa users`` and ``ciqa institutions``: create (a generated password shown once), list."""

from __future__ import annotations

import datetime as dt
import sys

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from backend.auth.accounts import add_institution, add_user
from backend.cli.listing import Column, print_list
from backend.config import Settings
from backend.db.models import Role
from backend.db.queries import institutions, users
from backend.db.session import require_current_schema, session_scope
from backend.domain.enums import InstitutionType
from backend.errors import AppError

console = Console()
errors = Console(stderr=True)

ROLE_ZH = {Role.UNIVERSITY: "高校", Role.EXPERT: "评审专家", Role.SECRETARIAT: "秘书处", Role.ADMIN: "管理员"}
# Exit status of a refused command (bad input, a duplicate, a missing institution, an unmigrated database),
# the same as a usage error's.
REFUSED = 2


class UserRow(BaseModel):
    """A user as ``ciqa users list`` prints it (never the password hash)."""

    id: int
    username: str
    role: Role
    display_name: str
    institution_id: int | None
    institution: str | None
    active: bool
    created_at: dt.datetime


class InstitutionRow(BaseModel):
    """An institution as ``ciqa institutions list`` prints it."""

    id: int
    name: str
    type: InstitutionType
    region: str
    created_at: dt.datetime


USER_COLUMNS: tuple[Column[UserRow], ...] = (
    Column("id", lambda r: str(r.id), whole=True),
    Column("用户名", lambda r: r.username, whole=True),
    Column("角色", lambda r: f"{ROLE_ZH[r.role]}（{r.role.value}）"),
    Column("姓名/部门", lambda r: r.display_name),
    Column("单位", lambda r: r.institution or "-"),
    Column("状态", lambda r: "启用" if r.active else "停用"),
)
INSTITUTION_COLUMNS: tuple[Column[InstitutionRow], ...] = (
    Column("id", lambda r: str(r.id), whole=True),
    Column("名称", lambda r: r.name),
    Column("类型", lambda r: r.type.value),
    Column("地区", lambda r: r.region or "-"),
)


def create_user(
    username: str,
    *,
    role: str,
    institution: str | None,
    display_name: str,
    password_stdin: bool,
) -> None:
    """Add a user; a generated password is printed whole on its own line, once."""
    chosen_role = _role(role)
    if chosen_role is Role.UNIVERSITY and institution is None:
        raise _fail("高校用户必须用 --institution 指定所属单位。")
    password = _stdin_password() if password_stdin else None
    settings = Settings()
    try:
        require_current_schema(settings)
        with session_scope(settings) as session:
            created = add_user(
                session,
                username=username,
                role=chosen_role,
                password=password,
                institution_name=institution,
                display_name=display_name,
            )
            session.commit()
    except AppError as exc:
        raise _fail(exc.message_zh) from exc
    where = f"，单位：{created.institution.name}" if created.institution else ""
    console.print(f"已创建用户 {username}（{ROLE_ZH[chosen_role]}{where}）。", markup=False, soft_wrap=True)
    if created.generated:
        console.print("初始密码（只显示这一次，请妥善保存）：")
        console.out(created.password, highlight=False)  # alone on its line, never wrapped or styled


def list_users(*, as_json: bool) -> None:
    """Print the users: a table, plain lines when piped, or JSON."""
    settings = Settings()
    try:
        require_current_schema(settings)
    except AppError as exc:
        raise _fail(exc.message_zh) from exc
    with session_scope(settings) as session:
        names = {i.id: i.name for i in institutions.list_institutions(session)}
        rows = [
            UserRow(
                id=u.id,
                username=u.username,
                role=u.role,
                display_name=u.display_name,
                institution_id=u.institution_id,
                institution=names.get(u.institution_id) if u.institution_id else None,
                active=u.is_active,
                created_at=u.created_at,
            )
            for u in users.list_users(session)
        ]
    print_list(console, rows, USER_COLUMNS, as_json=as_json, title="用户")


def create_institution(name: str, *, type: str, region: str) -> None:
    """Add an institution of one category."""
    chosen_type = _institution_type(type)
    settings = Settings()
    try:
        require_current_schema(settings)
        with session_scope(settings) as session:
            institution = add_institution(session, name=name, type=chosen_type, region=region)
            session.commit()
    except AppError as exc:
        raise _fail(exc.message_zh) from exc
    console.print(f"已创建单位 {name}（{chosen_type.value}），id {institution.id}。", markup=False, soft_wrap=True)


def list_institutions(*, as_json: bool) -> None:
    """Print the institutions: a table, plain lines when piped, or JSON."""
    settings = Settings()
    try:
        require_current_schema(settings)
    except AppError as exc:
        raise _fail(exc.message_zh) from exc
    with session_scope(settings) as session:
        rows = [
            InstitutionRow(id=i.id, name=i.name, type=i.type, region=i.region, created_at=i.created_at)
            for i in institutions.list_institutions(session)
        ]
    print_list(console, rows, INSTITUTION_COLUMNS, as_json=as_json, title="单位")


def _role(text: str) -> Role:
    """A role by its value (``admin``) or its Chinese label (``管理员``)."""
    for role in Role:
        if text.lower() == role.value or text == ROLE_ZH[role]:
            return role
    choices = " / ".join(f"{r.value}（{ROLE_ZH[r]}）" for r in Role)
    raise _fail(f"未知的角色「{text}」，可选：{choices}。")


def _institution_type(text: str) -> InstitutionType:
    """A category by its Chinese label (``研究型``) or its name (``research``)."""
    for kind in InstitutionType:
        if text == kind.value or text.lower() == kind.name.lower():
            return kind
    choices = " / ".join(f"{t.value}（{t.name.lower()}）" for t in InstitutionType)
    raise _fail(f"未知的单位类型「{text}」，可选：{choices}。")


def _stdin_password() -> str:
    """The password piped to the command, without the line break that ends it."""
    password = sys.stdin.read().rstrip("\r\n")
    if not password or "\n" in password:
        raise _fail("--password-stdin 需要从标准输入读入一行非空密码。")
    return password


def _fail(message_zh: str) -> typer.Exit:
    errors.print(f"[red]错误：{escape(message_zh)}[/red]", soft_wrap=True)
    return typer.Exit(code=REFUSED)
