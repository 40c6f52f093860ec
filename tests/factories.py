"""Builders of real objects for tests: documents made of blocks, as a parser would return them."""

from __future__ import annotations

import hashlib

from indexing.models import BlockKind, Document, MediaType
from indexing.parsing.headings import BlockBuilder, RawBlock, render_table


def make_document(spec: list[tuple], name: str = "报告") -> Document:
    """Build a document from ``(kind, text_or_rows, page[, level])`` tuples."""
    bb = BlockBuilder()
    for item in spec:
        kind, content, page = item[0], item[1], item[2]
        if kind is BlockKind.TABLE:
            rows = tuple(tuple(r) for r in content)
            bb.add(RawBlock(kind, render_table(rows), page=page, rows=rows))
        else:
            level = item[3] if len(item) > 3 else None
            bb.add(RawBlock(kind, content, page=page, heading_level=level))
    blocks = bb.build()
    doc_id = hashlib.sha256("".join(b.text for b in blocks).encode()).hexdigest()
    return Document(id=doc_id, name=name, media_type=MediaType.TEXT, blocks=blocks)
