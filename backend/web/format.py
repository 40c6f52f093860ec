"""Jinja filters: how dates, sizes and pages read on a Chinese office's screen."""

from __future__ import annotations

import datetime as dt

from jinja2 import Environment

from backend.db.base import BEIJING


def when(value: dt.datetime | None) -> str:
    """``2026-12-04 14:05`` in Beijing time (empty for no date)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def size(value: int | None) -> str:
    """A file size as 1.2 MB or 35 KB."""
    if value is None:
        return ""
    if value >= 1048576:
        return f"{value / 1048576:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(value / 1024))} KB"


def pages(start: int | None, end: int | None = None) -> str:
    """第 3 页, 第 3–4 页, or 页码未知."""
    if start is None:
        return "页码未知"
    return f"第 {start}–{end} 页" if end and end != start else f"第 {start} 页"


def register(env: Environment) -> None:
    """Add the filters to a template environment."""
    env.filters.update(when=when, size=size)
    env.globals.update(pages=pages)
