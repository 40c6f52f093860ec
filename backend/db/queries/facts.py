"""Facts of a version: the figures the indexing library extracted, with their cell or sentence."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from backend.db.models import FactRecord
from indexing.models import Fact


def replace_facts(session: Session, *, version_id: int, facts: Sequence[Fact]) -> int:
    """Make ``facts`` the version's facts: delete what an earlier attempt saved, insert, same transaction."""
    session.execute(delete(FactRecord).where(FactRecord.version_id == version_id))
    if facts:
        session.execute(
            insert(FactRecord),
            [
                {
                    "version_id": version_id,
                    "ordinal": i,
                    "metric": f.metric,
                    "value": f.value,
                    "unit": f.unit,
                    "text": f.text,
                    "block_key": f.block_id,
                    "page": f.page,
                    "start": f.start,
                    "end": f.end,
                    "origin": f.origin,
                    "evidence": f.evidence,
                    "table_title": f.table_title,
                    "row": f.row,
                    "column": f.column,
                    "period": f.period,
                    "qualifier": f.qualifier,
                    "sheet": f.sheet,
                }
                for i, f in enumerate(facts)
            ],
        )
    return len(facts)


def list_facts(session: Session, *, version_id: int) -> list[Fact]:
    """A version's facts in document order."""
    rows = session.scalars(
        select(FactRecord).where(FactRecord.version_id == version_id).order_by(FactRecord.ordinal)
    ).all()
    return [
        Fact(
            metric=r.metric,
            value=r.value,
            unit=r.unit,
            text=r.text,
            block_id=r.block_key,
            page=r.page,
            start=r.start,
            end=r.end,
            origin=r.origin,
            evidence=r.evidence,
            table_title=r.table_title,
            row=r.row,
            column=r.column,
            period=r.period,
            qualifier=r.qualifier,
            sheet=r.sheet,
        )
        for r in rows
    ]
