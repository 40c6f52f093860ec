"""Alembic environment: the database URL comes from Settings; SQLite migrates in batch mode."""

from __future__ import annotations

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text

from backend.config import Settings
from backend.db.base import ENUM_LENGTH, PydanticJSON, StrEnumType, UTCDateTime
from backend.db.models import Base
from backend.db.session import create_db_engine

# Any constant will do: it only has to be the same for every process that migrates this database.
PG_MIGRATION_LOCK = 0x0C1A_0001


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | bool:
    """Render the custom column types as plain SQLAlchemy types, so revisions do not import the app."""
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, StrEnumType):
        return f"sa.String(length={ENUM_LENGTH})"
    if isinstance(obj, PydanticJSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def run_migrations() -> None:
    """Run migrations online against the configured database."""
    settings: Settings = context.config.attributes.get("settings") or Settings()
    engine = create_db_engine(settings.database_url)
    is_sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if is_sqlite:
            # Batch mode recreates tables; with enforcement on, dropping a parent would cascade.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=is_sqlite,
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            if engine.dialect.name == "postgresql":
                # Several containers may start at once; one migrates, the others wait and find it done.
                connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
            context.run_migrations()
    engine.dispose()


run_migrations()
