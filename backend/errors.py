"""The one service error type: a stable code, a Chinese message and an English detail."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes; only the API layer maps them to HTTP statuses."""

    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    CONFLICT = "conflict"
    BAD_FILE = "bad_file"
    RUBRIC_INVALID = "rubric_invalid"
    RUBRIC_NOT_FOUND = "rubric_not_found"
    IMPORT_FAILED = "import_failed"


class AppError(Exception):
    """A failure the caller can act on: ``message_zh`` for users, ``detail`` for logs."""

    def __init__(self, code: ErrorCode, message_zh: str, detail: str = "") -> None:
        super().__init__(f"{code.value}: {detail or message_zh}")
        self.code = code
        self.message_zh = message_zh
        self.detail = detail
