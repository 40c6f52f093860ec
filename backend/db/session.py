"""Engines and sessions built from Settings, and schema upgrades with Alembic.

SQLite connections get WAL (readers do not block the writer), enforced foreign keys and a busy
timeout (the API, the worker and its heartbeat thread write to the same file).
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings
from backend.errors import AppError, ErrorCode

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections a SQLite engine keeps open: as many as the server's worker threads (anyio's default limit, 40) can hold
# at once. With SQLAlchemy's default of 5 kept (plus 10 overflow) a read load opened and closed a connection — and
# ran the pragmas below — for most requests, and the threads beyond 15 waited for one (eval/bench_service.py).
SQLITE_POOL_SIZE = 40
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, connection_record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """A new engine for ``url``; SQLite gets its pragmas and its directory created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    pool = {}
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pool = {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 10}  # a file database has a queue of connections
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **pool)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@functools.cache
def _engine_for(url: str, pid: int) -> Engine:
    return create_db_engine(url)


def get_engine(settings: Settings) -> Engine:
    """The process's engine for the configured database (a forked worker child gets its own)."""
    return _engine_for(settings.database_url, os.getpid())


def session_factory(settings: Settings) -> sessionmaker[Session]:
    """A sessionmaker bound to the configured database; objects stay readable after commit."""
    return _factory_for(get_engine(settings))


# One per engine: each sessionmaker defines a new Session subclass, and SQLAlchemy sets up its event dispatch on the
# first session of every class — made per request, that was a fifth of a review read's CPU (eval/bench_service.py).
@functools.lru_cache(maxsize=16)
def _factory_for(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(settings: Settings) -> Iterator[Session]:
    """A session that is rolled back if the block raises and closed at the end (commits are explicit)."""
    session = session_factory(settings)()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(settings: Settings) -> Config:
    """An Alembic configuration for the migrations of this package and the configured database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the configured database to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(settings), revision)


def current_revision(settings: Settings) -> str | None:
    """The revision the configured database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(settings).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(settings: Settings) -> None:
    """Refuse to go on unless the configured database is migrated to the latest revision (nothing migrates here)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(settings)).get_current_head()
    url = make_url(settings.database_url)
    # A missing SQLite file is not created just to find it empty.
    missing = url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file())
    current = None if missing else current_revision(settings)
    if current != head:
        raise AppError(
            ErrorCode.CONFLICT,
            "数据库尚未迁移到最新版本，请先运行 ciqa db upgrade。",
            f"database {url.render_as_string(hide_password=True)} is at revision {current}, the code needs {head}",
        )
