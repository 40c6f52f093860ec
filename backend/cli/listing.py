"""How every list command prints: a table on a terminal, tab-separated lines when piped, JSON with ``--json``.

Piped output is for scripts and ``grep``: one header line, then one line per row with every value whole (a
table cuts and wraps at the terminal width). ``--json`` prints an array of the row objects with their full,
typed values. On a terminal, columns that users copy into commands (ids, versions, passwords) never wrap or
get cut and the other columns fold; a terminal too narrow for those columns gets the plain lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

R = TypeVar("R", bound=BaseModel)
_BREAKS = re.compile(r"[\t\r\n]+")
# Narrowest useful width of a folding column.
_FOLDED_WIDTH = 4


@dataclass(frozen=True)
class Column(Generic[R]):
    """A column: its header, the text of a row's cell, whether it is copied whole, and a length for tables only."""

    header: str
    text: Callable[[R], str]
    whole: bool = False
    # On a terminal, longer cells are shortened with "…" to keep the table readable; piped lines never are.
    table_chars: int | None = None


def print_list(
    console: Console,
    rows: Sequence[R],
    columns: Sequence[Column[R]],
    *,
    as_json: bool,
    title: str | None = None,
    show_lines: bool = False,
) -> None:
    """Print ``rows`` as JSON, as a table (a terminal wide enough) or as plain tab-separated lines."""
    # JSON and plain lines bypass rich, which would expand tabs and could wrap or style the text.
    if as_json:
        data = [row.model_dump(mode="json") for row in rows]
        console.file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif console.is_terminal and _table_width(rows, columns) <= console.width:
        console.print(_table(rows, columns, title, show_lines))
    else:
        # Piped, or a terminal too narrow for the whole ids: a table would cut them at the edge.
        console.file.write("".join(line + "\n" for line in plain_lines(rows, columns)))


def plain_lines(rows: Sequence[R], columns: Sequence[Column[R]]) -> list[str]:
    """A header line and one tab-separated line per row; tabs and line breaks inside values become spaces."""
    lines = [[c.header for c in columns]] + [[c.text(row) for c in columns] for row in rows]
    return ["\t".join(_BREAKS.sub(" ", cell) for cell in line) for line in lines]


def _whole_width(column: Column[R], rows: Sequence[R]) -> int:
    return max([cell_len(column.header)] + [cell_len(column.text(row)) for row in rows])


def _table_width(rows: Sequence[R], columns: Sequence[Column[R]]) -> int:
    """The narrowest table with every whole column at full width and the others folded to a few characters."""
    widths = [_whole_width(c, rows) if c.whole else _FOLDED_WIDTH for c in columns]
    return sum(widths) + 3 * len(columns) + 1  # a border and two spaces of padding per column, a closing border


def _table(rows: Sequence[R], columns: Sequence[Column[R]], title: str | None, show_lines: bool) -> Table:
    table = Table(title=title, show_lines=show_lines)
    for column in columns:
        if column.whole:
            table.add_column(column.header, no_wrap=True, min_width=_whole_width(column, rows))
        else:
            table.add_column(column.header, overflow="fold")
    for row in rows:
        # Text, not markup: a name with brackets is shown as written.
        table.add_row(*(Text(_shorten(c.text(row), c.table_chars)) for c in columns))
    return table


def _shorten(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[:limit] + "…"
