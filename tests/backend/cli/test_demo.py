"""`ciqa demo --background` (what `make run` runs): logins and the queued jobs to follow, printed whole, in seconds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.auth.passwords import verify_password
from backend.config import Settings
from backend.db.models import JobKind, JobStatus
from backend.db.queries import jobs, users
from backend.db.session import session_scope

runner = CliRunner()


def test_background_demo_prints_logins_and_the_queued_jobs_to_follow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.cli.main import app

    monkeypatch.setenv("CIQA_DATA_DIR", str(tmp_path / "var"))
    settings = Settings()

    first = runner.invoke(app, ["demo", "--background", "--pages", "4"])

    assert first.exit_code == 0, first.output
    passwords = dict(re.findall(r"^用户名 (\S+) .* 密码 (\S+)$", first.stdout, re.MULTILINE))
    queued = [int(n) for n in re.findall(r"入库任务 id (\d+)（排队中）  新建$", first.stdout, re.MULTILINE)]
    assert len(passwords) == 6 and len(queued) == 4
    assert "/api/jobs/{任务 id}" in first.stdout and "/api/versions/{版本 id}/jobs" in first.stdout
    with session_scope(settings) as db:
        for username, password in passwords.items():
            user = users.find_user_by_username(db, username=username)
            assert user is not None and verify_password(user.password_hash, password)
        assert sorted(j.id for j in jobs.list_jobs(db)) == queued
        assert all(j.kind is JobKind.INGEST and j.status is JobStatus.QUEUED for j in jobs.list_jobs(db))

    again = runner.invoke(app, ["demo", "--background", "--pages", "4"])

    assert again.exit_code == 0, again.output
    assert again.stdout.count("（已存在，未更改）") == 6
    assert [int(n) for n in re.findall(r"入库任务 id (\d+)（排队中）  已有$", again.stdout, re.MULTILINE)] == queued
