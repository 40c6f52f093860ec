"""The one service error type: a stable code, a Chinese message and an English detail.

Access errors follow one rule, so that the existence of another tenant's data never leaks:

* ``NOT_FOUND`` (HTTP 404) when the object does not exist **or** belongs to a tenant the user may not
  see (another institution's submission, a submission the expert is not assigned to), with the same
  message naming the object (``评审结果不存在。``); the API logs its ``detail`` instead of sending it;
* ``FORBIDDEN`` (HTTP 403) when the user's *role* may never do this action (an expert uploading, a
  university user creating a campaign), whatever the object; the role check runs before any object is
  loaded, so a 403 reveals nothing about which objects exist;
* ``UNAUTHENTICATED`` (HTTP 401) without a valid session or token; ``CSRF_FAILED`` (HTTP 403) for a
  cookie-authenticated write without the matching ``X-CSRF-Token`` header.
"""

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
    CSRF_FAILED = "csrf_failed"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"
    INTERNAL = "internal"  # a defect: logged with its traceback, the user sees a message and no trace


class AppError(Exception):
    """A failure the caller can act on: ``message_zh`` for users, ``detail`` for logs, when to retry (seconds)."""

    def __init__(self, code: ErrorCode, message_zh: str, detail: str = "", *, retry_after_s: int | None = None) -> None:
        super().__init__(f"{code.value}: {detail or message_zh}")
        self.code = code
        self.message_zh = message_zh
        self.detail = detail
        self.retry_after_s = retry_after_s
