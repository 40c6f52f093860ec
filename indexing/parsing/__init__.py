"""Turn an uploaded file into a :class:`~indexing.models.Document`: ordered blocks with pages and headings.

:func:`parse` checks the size limit and emptiness, decides the type from the bytes
(:func:`~indexing.parsing.sniff.sniff`; the name is never trusted), and hands the file to the PDF, DOCX
or text parser. Whatever goes wrong, the caller gets an :class:`~indexing.errors.IndexingError` with a
Chinese message for the person who uploaded the file and an English detail for the log — never a raw
exception from a format library.

Example:
    >>> doc = parse("一、学校概况\\n学校创建于1952年。".encode(), name="报告.txt")
    >>> [(b.kind.value, b.text) for b in doc.blocks]
    [('heading', '一、学校概况'), ('paragraph', '学校创建于1952年。')]
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from pathlib import Path

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import Document, MediaType
from indexing.options import ParseOptions
from indexing.parsing.sniff import sniff

__all__ = ["display_name", "parse", "parse_path", "sniff"]

log = logging.getLogger(__name__)

_MAX_NAME_CHARS = 200

_NO_TEXT_ZH = {
    MediaType.PDF: (
        "未能从 PDF 中提取到文字：文件可能是扫描件或图片。请上传带文字的 PDF（由 Word/WPS 直接导出），"
        "或请管理员开启文字识别（OCR）后重试。"
    ),
    MediaType.DOCX: "Word 文档中没有可读取的文字（可能只有图片或空白页）。请检查文件内容后重新上传。",
    MediaType.TEXT: "文本文件中没有文字内容。",
    MediaType.MARKDOWN: "文本文件中没有文字内容。",
}
_FORMAT_ZH = {MediaType.PDF: "PDF 文件", MediaType.DOCX: "Word 文档"}


def display_name(name: str) -> str:
    """Make an uploaded file name safe to show: last path component, no control or bidi characters.

    Example:
        >>> display_name("../../etc/\\u202epasswd\\x00.docx")
        'passwd.docx'
    """
    base = re.split(r"[/\\]", str(name))[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if cleaned in (".", ".."):
        cleaned = ""
    if len(cleaned) > _MAX_NAME_CHARS:
        _, dot, ext = cleaned.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        cleaned = cleaned[: _MAX_NAME_CHARS - len(keep) - 2] + "…" + ("." + keep if keep else "")
    return cleaned


def _too_large(size: int, options: ParseOptions) -> IndexingError:
    return IndexingError(
        IndexingErrorCode.FILE_TOO_LARGE,
        f"文件过大（{size / 1048576:.1f} MB），超过系统允许的 {options.max_bytes / 1048576:.0f} MB 上限。"
        "请压缩图片或拆分文件后重新上传。",
        f"file has {size} bytes, limit is {options.max_bytes}",
    )


def parse(data: bytes, *, name: str = "", options: ParseOptions | None = None) -> Document:
    """Parse a file's bytes into a document.

    Args:
        data: the whole file.
        name: the uploaded name, for display only (its extension never decides the type; ``.md`` is a
            hint between plain text and Markdown). Path components and control characters are removed.
        options: size, page and archive limits and the OCR switch.

    Returns:
        The document; its id is the sha256 hex digest of ``data``.

    Raises:
        IndexingError: ``FILE_TOO_LARGE``, ``EMPTY_FILE``, ``UNSUPPORTED_TYPE``, ``CORRUPT_FILE``,
            ``ENCRYPTED_FILE``, ``TOO_MANY_PAGES``, ``ARCHIVE_BOMB`` or ``NO_TEXT``; nothing else.
    """
    options = options or ParseOptions()
    if not isinstance(data, bytes):
        data = bytes(data)
    shown = display_name(name)
    if len(data) > options.max_bytes:
        raise _too_large(len(data), options)
    if not data:
        raise IndexingError(IndexingErrorCode.EMPTY_FILE, "文件为空（0 字节），请检查后重新上传。", "file has 0 bytes")
    doc_id = hashlib.sha256(data).hexdigest()
    media_type = sniff(data, shown)
    try:
        document = _dispatch(data, media_type, doc_id=doc_id, name=shown, options=options)
    except IndexingError:
        raise
    except Exception as exc:  # a format library failed on this file: report it, never crash the caller
        log.warning("parser for %s failed on %s: %s: %s", media_type.value, doc_id[:12], type(exc).__name__, exc)
        raise IndexingError(
            IndexingErrorCode.CORRUPT_FILE,
            f"{_FORMAT_ZH.get(media_type, '文件')}已损坏或格式异常，无法读取。请用 Word/WPS 或 PDF 阅读器打开确认，"
            "重新导出后上传。",
            f"{media_type.value} parser failed: {type(exc).__name__}: {str(exc)[:500]}",
        ) from exc
    if not any(b.text.strip() for b in document.blocks):
        raise IndexingError(
            IndexingErrorCode.NO_TEXT,
            _NO_TEXT_ZH[media_type],
            f"{media_type.value} document {doc_id[:12]} yielded no text "
            f"({len(document.blocks)} blocks, {document.page_count} pages)",
        )
    return document


def _dispatch(data: bytes, media_type: MediaType, *, doc_id: str, name: str, options: ParseOptions) -> Document:
    if media_type is MediaType.PDF:
        try:
            from indexing.parsing.pdf import parse_pdf
        except ImportError as exc:
            raise IndexingError(
                IndexingErrorCode.UNSUPPORTED_TYPE,
                "系统暂时无法处理 PDF 文件，请联系管理员。",
                f"PDF parser unavailable: {exc}",
            ) from exc
        return parse_pdf(data, doc_id=doc_id, name=name, options=options)
    if media_type is MediaType.DOCX:
        from indexing.parsing.docx import parse_docx

        return parse_docx(data, doc_id=doc_id, name=name, options=options)
    from indexing.parsing.text import parse_text

    return parse_text(data, doc_id=doc_id, name=name, media_type=media_type, options=options)


def parse_path(path: str | os.PathLike[str], options: ParseOptions | None = None) -> Document:
    """Parse a file on disk; its name becomes the display name.

    The size limit is checked before the file is read.

    Raises:
        IndexingError: as :func:`parse`.
        OSError: the path cannot be read (missing, a directory, no permission).
    """
    options = options or ParseOptions()
    p = Path(path)
    size = p.stat().st_size
    if size > options.max_bytes:
        raise _too_large(size, options)
    return parse(p.read_bytes(), name=p.name, options=options)
