"""Engines: a SQLite file database keeps as many connections as the server's threads hold at once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from backend.db.session import SQLITE_POOL_SIZE, create_db_engine


def test_a_sqlite_file_engine_keeps_the_connections_a_read_load_opened(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'ciqa.db'}")
    opened = [engine.connect() for _ in range(SQLITE_POOL_SIZE)]
    for connection in opened:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        connection.close()
    # All returned connections stay open for the next requests: none was closed as overflow (each reopening ran
    # the pragmas again, and threads beyond the old 15 waited for a connection).
    assert engine.pool.checkedin() == SQLITE_POOL_SIZE
    engine.dispose()


def test_an_in_memory_sqlite_engine_still_builds() -> None:
    engine = create_db_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
