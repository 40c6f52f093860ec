"""`ciqa users` and `ciqa institutions` on a real SQLite database: the first admin without `ciqa demo`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from backend.api.main import create_app
from backend.auth.passwords import verify_password
from backend.config import Settings
from backend.db.models import User
from backend.db.queries import users
from backend.db.session import session_scope, upgrade
from backend.domain.enums import InstitutionType

runner = CliRunner()


def ciqa(*args: str, input: str | None = None) -> Result:
    """Run the command line in this process; its stdout is not a terminal, as in a script or a pipe."""
    from backend.cli.main import app

    return runner.invoke(app, list(args), input=input)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, migrated once for this module."""
    directory = tmp_path_factory.mktemp("migrated")
    upgrade(Settings(data_dir=directory))
    return directory / "ciqa.sqlite"


@pytest.fixture
def settings(tmp_path: Path, migrated: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """CIQA_DATA_DIR pointing at a temporary var/ with a migrated database."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(migrated, data_dir / "ciqa.sqlite")
    monkeypatch.setenv("CIQA_DATA_DIR", str(data_dir))
    return Settings()


def _user_count(settings: Settings) -> int:
    with session_scope(settings) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def test_first_admin_gets_a_whole_generated_password_that_signs_in(settings: Settings) -> None:
    result = ciqa("users", "create", "root", "--role", "admin")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-2] == "初始密码（只显示这一次，请妥善保存）："
    password = lines[-1]
    assert len(password) == 24 and password.strip() == password  # 144 random bits, alone on its line
    with session_scope(settings) as session:
        user = users.find_user_by_username(session, username="root")
        assert user is not None and user.role.value == "admin" and user.institution_id is None
        assert verify_password(user.password_hash, password)
    with TestClient(create_app(settings)) as client:
        signed_in = client.post("/api/auth/login", json={"username": "root", "password": password})
    assert signed_in.status_code == 200 and signed_in.json()["user"]["role"] == "admin"


def test_password_from_stdin_is_stored_and_not_printed(settings: Settings) -> None:
    result = ciqa("users", "create", "sec", "--role", "秘书处", "--password-stdin", input="我的密码 with spaces\n")
    assert result.exit_code == 0, result.output
    assert "我的密码" not in result.output and "初始密码" not in result.output
    with session_scope(settings) as session:
        user = users.find_user_by_username(session, username="sec")
        assert user is not None and user.role.value == "secretariat"
        assert verify_password(user.password_hash, "我的密码 with spaces")


def test_university_user_needs_an_existing_institution(settings: Settings) -> None:
    missing = ciqa("users", "create", "uni", "--role", "university")
    assert missing.exit_code == 2
    assert "高校用户必须用 --institution 指定所属单位。" in missing.output
    unknown = ciqa("users", "create", "uni", "--role", "university", "--institution", "不存在大学")
    assert unknown.exit_code == 2
    assert "单位「不存在大学」不存在。" in unknown.output
    assert _user_count(settings) == 0

    assert ciqa("institutions", "create", "临川理工学院", "--type", "应用型", "--region", "华东").exit_code == 0
    created = ciqa("users", "create", "uni", "--role", "university", "--institution", "临川理工学院")
    assert created.exit_code == 0, created.output
    listed = json.loads(ciqa("users", "list", "--json").stdout)
    assert [(u["username"], u["role"], u["institution"]) for u in listed] == [("uni", "university", "临川理工学院")]


def test_duplicate_username_and_unknown_role_are_refused_in_chinese(settings: Settings) -> None:
    assert ciqa("users", "create", "expert1", "--role", "expert").exit_code == 0
    duplicate = ciqa("users", "create", "expert1", "--role", "admin")
    assert duplicate.exit_code == 2
    assert "用户名「expert1」已存在。" in duplicate.output
    unknown = ciqa("users", "create", "boss", "--role", "boss")
    assert unknown.exit_code == 2
    assert "未知的角色「boss」" in unknown.output and "admin（管理员）" in unknown.output
    short = ciqa("users", "create", "short", "--role", "expert", "--password-stdin", input="1234567\n")
    assert short.exit_code == 2 and "密码至少需要 8 个字符。" in short.output
    assert _user_count(settings) == 1


def test_institution_type_by_chinese_label_or_name(settings: Settings) -> None:
    assert ciqa("institutions", "create", "甲大学", "--type", "研究型").exit_code == 0
    assert ciqa("institutions", "create", "乙职业技术大学", "--type", "vocational").exit_code == 0
    unknown = ciqa("institutions", "create", "丙学院", "--type", "综合型")
    assert unknown.exit_code == 2 and "未知的单位类型「综合型」" in unknown.output
    duplicate = ciqa("institutions", "create", "甲大学", "--type", "应用型")
    assert duplicate.exit_code == 2 and "单位「甲大学」已存在。" in duplicate.output
    listed = json.loads(ciqa("institutions", "list", "--json").stdout)
    assert {(i["name"], i["type"]) for i in listed} == {
        ("甲大学", InstitutionType.RESEARCH.value),
        ("乙职业技术大学", InstitutionType.VOCATIONAL.value),
    }
    assert all(isinstance(i["id"], int) for i in listed)


def test_piped_lists_are_tab_separated_lines_with_a_header(settings: Settings) -> None:
    long_name = "临川市某某省属重点建设高水平应用型本科示范高校质量保障与评估中心附属继续教育学院"
    assert ciqa("institutions", "create", long_name, "--type", "应用型", "--region", "华东").exit_code == 0
    assert ciqa("users", "create", "a-very-long-username.for.testing@example.edu.cn", "--role", "expert").exit_code == 0
    institutions = ciqa("institutions", "list").stdout.splitlines()
    assert institutions[0] == "id\t名称\t类型\t地区"
    assert institutions[1].split("\t")[1:] == [long_name, "应用型", "华东"]
    people = ciqa("users", "list").stdout.splitlines()
    assert people[0] == "id\t用户名\t角色\t姓名/部门\t单位\t状态"
    row = people[1].split("\t")
    assert row[1] == "a-very-long-username.for.testing@example.edu.cn" and row[2] == "评审专家（expert）"


def test_commands_never_migrate_a_database_implicitly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "fresh"
    monkeypatch.setenv("CIQA_DATA_DIR", str(data_dir))
    for args in (
        ("users", "list"),
        ("users", "create", "root", "--role", "admin"),
        ("institutions", "list", "--json"),
        ("institutions", "create", "甲大学", "--type", "研究型"),
    ):
        result = ciqa(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "数据库尚未迁移到最新版本，请先运行 ciqa db upgrade。" in result.stderr
    assert not (data_dir / "ciqa.sqlite").exists()
    upgrade(Settings(data_dir=data_dir), "0003")  # an older schema is refused as well
    assert ciqa("users", "list").exit_code == 2
