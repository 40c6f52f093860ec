"""The board's status of a submission from its report, its AI review and its experts."""

from __future__ import annotations

from types import SimpleNamespace

from backend.selection.board import BoardStatus, board_status


def _state(*, latest: bool = True, working: bool = False, failed: bool = False, reviewed: bool = False):
    version = SimpleNamespace(working=working, failed=failed) if latest else None
    return SimpleNamespace(latest=version, latest_review=object() if reviewed else None)


def test_statuses():
    assert board_status(None, assigned=0, submitted=0) is BoardStatus.NOT_SUBMITTED
    assert board_status(_state(latest=False), assigned=0, submitted=0) is BoardStatus.NOT_SUBMITTED
    assert board_status(_state(working=True), assigned=0, submitted=0) is BoardStatus.PROCESSING
    assert board_status(_state(failed=True), assigned=0, submitted=0) is BoardStatus.FAILED
    assert board_status(_state(), assigned=0, submitted=0) is BoardStatus.AWAITING_AI
    assert board_status(_state(reviewed=True), assigned=0, submitted=0) is BoardStatus.AI_REVIEWED
    assert board_status(_state(reviewed=True), assigned=2, submitted=1) is BoardStatus.EXPERT_REVIEWING
    assert board_status(_state(reviewed=True), assigned=2, submitted=2) is BoardStatus.REVIEWED
    assert (BoardStatus.NOT_SUBMITTED.zh, BoardStatus.AI_REVIEWED.zh) == ("未提交", "AI 初审完成")
