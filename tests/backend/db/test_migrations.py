"""Migrations create every table on SQLite and PostgreSQL and round-trip on SQLite."""

from __future__ import annotations

from sqlalchemy import inspect

from backend.config import Settings
from backend.db.models import Base
from backend.db.session import current_revision, get_engine, upgrade


def test_migrations_create_all_tables(settings: Settings) -> None:
    tables = set(inspect(get_engine(settings)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_schema_matches_models_after_upgrade(settings: Settings) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with get_engine(settings).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings)
    head = current_revision(settings)
    upgrade_to = head
    from alembic import command

    from backend.db.session import alembic_config

    command.downgrade(alembic_config(settings), "base")
    assert current_revision(settings) is None
    assert set(inspect(get_engine(settings)).get_table_names()) <= {"alembic_version"}
    upgrade(settings)
    assert current_revision(settings) == upgrade_to
