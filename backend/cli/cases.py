"""Terminal presentation of `ciqa cases store-passages`: a progress bar, then one line (or JSON) of counts."""

from __future__ import annotations

import json
from dataclasses import asdict

from backend.cli.indexing import console, stage_progress
from backend.config import Settings
from backend.db.session import require_current_schema, session_scope
from backend.errors import AppError
from backend.ingest.flows import store_missing_passages
from backend.jobs.progress import JobStage

_LABELS = {JobStage.EMBED: "段落向量"}


def store_passages(*, as_json: bool) -> None:
    """Store the passages of case texts that lack them, with a progress bar; print what was done."""
    import typer

    settings = Settings()
    try:
        require_current_schema(settings)
    except AppError as exc:
        console.print(f"[red]错误：{exc.message_zh}[/red]")
        raise typer.Exit(code=2) from exc
    if as_json:  # nothing but the JSON on stdout
        with session_scope(settings) as session:
            done = store_missing_passages(session, settings)
        print(json.dumps(asdict(done), ensure_ascii=False))
    else:
        with session_scope(settings) as session, stage_progress(_LABELS) as progress:
            done = store_missing_passages(session, settings, progress=progress)
        print(f"已补存 {done.stored} 个案例正文的段落向量；已有 {done.kept} 个；原文件无法重新读取 {done.failed} 个")
    if done.failed:  # the log names each version
        raise typer.Exit(code=1)
