"""Fixtures for the service tests: migrated SQLite (per test) and PostgreSQL (per session) databases,
Redis, settings pointing at a temporary var/, and small builders of institutions and submissions.

Conftests import these with ``from tests.backend.service_fixtures import *``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db.models import Institution, Role, Submission, User
from backend.db.queries import institutions, submissions, users
from backend.db.session import session_scope, upgrade
from backend.domain.enums import InstitutionType

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


def _pg_up() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis(REDIS_HOST, REDIS_PORT, socket_connect_timeout=1).ping())
    except Exception:
        return False


def _ensure(up: Callable[[], bool], start: str, what: str) -> None:
    if up():
        return
    subprocess.run(start, shell=True, check=False, capture_output=True)
    for _ in range(30):
        if up():
            return
        time.sleep(0.5)
    pytest.skip(f"{what} is not running and could not be started")


@contextmanager
def _fresh_pg_database() -> Iterator[str]:
    _ensure(_pg_up, PG_START, "PostgreSQL")
    name = f"ciqa_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade(Settings(database_url=url))
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped at the end."""
    with _fresh_pg_database() as url:
        yield url


@pytest.fixture
def own_pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test (a worker's sweeper sees every job in it)."""
    with _fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis broker URL on the local server (started if down)."""
    _ensure(_redis_up, REDIS_START, "Redis")
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, migrated once and copied for every test."""
    directory = tmp_path_factory.mktemp("template")
    upgrade(Settings(data_dir=directory))
    return directory / "ciqa.sqlite"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind a test runs on."""
    return request.param


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings with var/ in a temporary directory and a migrated database of the test's kind."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    if backend == "postgresql":
        return Settings(data_dir=data_dir, database_url=request.getfixturevalue("pg_url"))
    shutil.copy(request.getfixturevalue("sqlite_template"), data_dir / "ciqa.sqlite")
    return Settings(data_dir=data_dir)


@pytest.fixture
def db(settings: Settings) -> Iterator[Session]:
    """A session on the test database."""
    with session_scope(settings) as session:
        yield session


@dataclass
class Tenant:
    """An institution with a university user and a submission."""

    institution: Institution
    user: User
    submission: Submission


def make_tenant(session: Session, type: InstitutionType = InstitutionType.APPLIED) -> Tenant:
    """A new institution (unique name), its university user and a submission, committed."""
    tag = uuid.uuid4().hex[:8]
    institution = institutions.create_institution(session, name=f"测试大学{tag}", type=type, region="华东")
    user = users.create_user(session, username=f"u-{tag}", role=Role.UNIVERSITY, institution_id=institution.id)
    submission = submissions.create_submission(
        session, institution_id=institution.id, title="本科教育教学审核评估自评报告", created_by=user.id
    )
    session.commit()
    return Tenant(institution, user, submission)


@pytest.fixture
def tenant(db: Session) -> Tenant:
    """A committed institution, user and submission."""
    return make_tenant(db)


REPORT_TEXT = """一、学校概况
学校创建于1952年，是一所以工为主的应用型本科高校，现有本科专业62个，全日制本科生2.1万人。
二、师资队伍
学校专任教师1200人，生师比为17.5:1，具有博士学位教师占比45%。学校实施青年教师导师制，每年选派教师赴企业实践。
三、质量保障
学校建立了校院两级教学质量监控体系，每学期开展期初、期中、期末教学检查，评教结果用于教师考核。
"""


def report_bytes(sections: int = 3) -> bytes:
    """A small plain-text self-evaluation report; ``sections`` > 3 repeats topics to make it longer."""
    if sections <= 3:
        return REPORT_TEXT.encode()
    parts = [REPORT_TEXT]
    for n in range(4, sections + 1):
        parts.append(
            f"{n}、专题{n}\n"
            + "".join(
                f"第{n}.{k}项：学校围绕人才培养中心地位，持续完善第{n}类制度建设，"
                f"建成实践基地{n * k}个，覆盖学生{n * 100 + k}人，成效显著并形成可推广经验。"
                for k in range(1, 9)
            )
            + "\n"
        )
    return "".join(parts).encode()
