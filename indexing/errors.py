"""The one error type of the indexing library, with codes and a message a university clerk understands.

Example:
    >>> e = IndexingError(IndexingErrorCode.EMPTY_FILE, "文件为空。", "0 bytes")
    >>> e.code.value
    'empty_file'
"""

from __future__ import annotations

from enum import StrEnum


class IndexingErrorCode(StrEnum):
    """Why a file could not be indexed."""

    EMPTY_FILE = "empty_file"
    CORRUPT_FILE = "corrupt_file"
    ENCRYPTED_FILE = "encrypted_file"
    UNSUPPORTED_TYPE = "unsupported_type"
    FILE_TOO_LARGE = "file_too_large"
    TOO_MANY_PAGES = "too_many_pages"
    ARCHIVE_BOMB = "archive_bomb"
    NO_TEXT = "no_text"
    INDEX_NOT_FOUND = "index_not_found"
    INDEX_CORRUPT = "index_corrupt"
    EMBEDDER_UNAVAILABLE = "embedder_unavailable"
    PAGE_OUT_OF_RANGE = "page_out_of_range"
    EMPTY_QUOTE = "empty_quote"


class IndexingError(Exception):
    """A typed failure: ``message_zh`` is shown to users, ``detail`` goes to the log.

    Args:
        code: the error code.
        message_zh: a Simplified Chinese message for the person who uploaded the file.
        detail: a precise English description for the log.
    """

    def __init__(self, code: IndexingErrorCode, message_zh: str, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.message_zh = message_zh
        self.detail = detail
