"""Chunks of a version, as cut by the indexing library."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from backend.db.models import Chunk
from indexing.models import Chunk as IndexedChunk


def replace_chunks(session: Session, *, version_id: int, chunks: Sequence[IndexedChunk]) -> int:
    """Make ``chunks`` the version's chunks: delete what an earlier attempt saved, insert, same transaction."""
    session.execute(delete(Chunk).where(Chunk.version_id == version_id))
    if chunks:
        session.execute(
            insert(Chunk),
            [
                {
                    "version_id": version_id,
                    "chunk_key": c.id,
                    "ordinal": c.ordinal,
                    "text": c.text,
                    "heading_path": c.heading_path,
                    "page_start": c.page_start,
                    "page_end": c.page_end,
                    "is_table": c.is_table,
                }
                for c in chunks
            ],
        )
    return len(chunks)


def count_chunks(session: Session, *, version_id: int) -> int:
    """Number of chunks saved for a version."""
    return session.scalar(select(func.count()).select_from(Chunk).where(Chunk.version_id == version_id)) or 0


def list_chunks(session: Session, *, version_id: int) -> Sequence[Chunk]:
    """A version's chunks in document order."""
    return session.scalars(select(Chunk).where(Chunk.version_id == version_id).order_by(Chunk.ordinal)).all()


def get_chunks(session: Session, *, version_id: int, chunk_keys: Collection[str]) -> Sequence[Chunk]:
    """The chunks of a version with these keys (the ids evidence refers to), in document order."""
    query = select(Chunk).where(Chunk.version_id == version_id, Chunk.chunk_key.in_(list(chunk_keys)))
    return session.scalars(query.order_by(Chunk.ordinal)).all()
