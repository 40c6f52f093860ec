"""Decide what a file is from its bytes, never from its name.

:func:`sniff` returns the :class:`~indexing.models.MediaType` to parse the file as, or raises an
:class:`~indexing.errors.IndexingError` whose Chinese message names what the file really is and what the
clerk can do (save a legacy ``.doc`` as ``.docx``, convert an OFD to PDF, unpack a zip …).

Rules, in order:

* ``%PDF-`` at the start, or after a little leading junk within the first 1024 bytes → PDF;
* a ZIP archive holding a WordprocessingML main part (``word/document.xml``) → DOCX; other ZIP-based
  formats (XLSX, PPTX, ODF, OFD, EPUB, plain zip) → unsupported, named; a ZIP too damaged to list that
  still shows ``word/`` entries is sent to the DOCX parser, which reports it as corrupt;
* OLE2 compound files (legacy ``.doc``/``.xls``/``.ppt``/``.wps``, or a password-protected Office file)
  → unsupported or encrypted, named;
* images, RTF, HTML, archives and executables → unsupported, named;
* text: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK without NUL bytes → TEXT, or
  MARKDOWN when it has ATX headings (``# 标题``); the name's ``.md`` extension is only a hint.

Example:
    >>> sniff("一、学校概况\\n学校创建于1952年。".encode("gbk"))
    <MediaType.TEXT: 'text/plain'>
    >>> sniff(b"# Report\\n\\ntext").value
    'text/markdown'
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import MediaType

__all__ = ["decode_text", "sniff"]

_PDF_JUNK_WINDOW = 1024
_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
_MD_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd")

_SAVE_AS = "请用 Word 或 WPS 打开后“另存为” .docx 或导出为 PDF，再重新上传。"


def _unsupported(what_zh: str, advice_zh: str, detail: str) -> IndexingError:
    return IndexingError(
        IndexingErrorCode.UNSUPPORTED_TYPE,
        f"不支持该文件类型：{what_zh}。{advice_zh}",
        detail,
    )


# (magic prefix, Chinese name, English name) of binary formats that are refused by name.
_BINARY_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG 图片", "PNG image"),
    (b"\xff\xd8\xff", "JPEG 图片", "JPEG image"),
    (b"GIF87a", "GIF 图片", "GIF image"),
    (b"GIF89a", "GIF 图片", "GIF image"),
    (b"II*\x00", "TIFF 图片", "TIFF image"),
    (b"MM\x00*", "TIFF 图片", "TIFF image"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包", "7z archive"),
    (b"Rar!\x1a\x07", "RAR 压缩包", "RAR archive"),
    (b"\x1f\x8b", "gzip 压缩包", "gzip archive"),
    (b"\xfd7zXZ\x00", "xz 压缩包", "xz archive"),
    (b"\x7fELF", "程序文件", "ELF executable"),
)
_IMAGE_ADVICE = "系统不能直接读取图片文件。请上传 PDF 或 Word 文档；扫描件请合并为 PDF 后上传。"
_ARCHIVE_ADVICE = "请解压后分别上传其中的 PDF 或 Word 文档。"


def sniff(data: bytes, name: str = "") -> MediaType:
    """Return the media type of ``data``, decided by content.

    Args:
        data: the whole file (non-empty).
        name: the uploaded file name; only its extension is used, and only to choose between plain text
            and Markdown.

    Raises:
        IndexingError: ``UNSUPPORTED_TYPE`` (with the kind of file named), ``ENCRYPTED_FILE`` for a
            password-protected Office file, ``CORRUPT_FILE`` for a damaged archive of unknown kind,
            ``EMPTY_FILE`` for no bytes; never any other exception.
    """
    try:
        return _sniff(data, name)
    except IndexingError:
        raise
    except Exception as exc:  # a damaged container can trip a format library: still a typed error
        raise IndexingError(
            IndexingErrorCode.CORRUPT_FILE,
            "文件已损坏或格式无法识别，请重新导出后上传。",
            f"type detection failed: {type(exc).__name__}: {str(exc)[:500]}",
        ) from exc


def _sniff(data: bytes, name: str) -> MediaType:
    if not data:
        raise IndexingError(IndexingErrorCode.EMPTY_FILE, "文件为空（0 字节），请检查后重新上传。", "0 bytes")
    head = bytes(data[: _PDF_JUNK_WINDOW + 8])

    if head.startswith(b"%PDF-"):
        return MediaType.PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(data)
    if head.startswith(_OLE2):
        raise _sniff_ole2(data)
    for magic, what_zh, what_en in _BINARY_MAGIC:
        if head.startswith(magic):
            advice = (
                _IMAGE_ADVICE
                if "图片" in what_zh
                else (_ARCHIVE_ADVICE if "压缩包" in what_zh else "请上传 PDF、Word（.docx）或文本文件。")
            )
            raise _unsupported(what_zh, advice, f"content is a {what_en}")
    if head.startswith(b"BM") and b"\x00" in head[:64]:
        raise _unsupported("BMP 图片", _IMAGE_ADVICE, "content is a BMP image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise _unsupported("WebP 图片", _IMAGE_ADVICE, "content is a WebP image")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            raise _unsupported("HEIC 图片", _IMAGE_ADVICE, f"content is an ISO-BMFF image ({brand!r})")
        raise _unsupported("音视频文件", "请上传 PDF、Word（.docx）或文本文件。", f"ISO-BMFF media ({brand!r})")
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        raise _unsupported("程序文件", "请上传 PDF、Word（.docx）或文本文件。", "content is a DOS/Windows executable")

    pos = head.find(b"%PDF-")
    if 0 < pos < _PDF_JUNK_WINDOW and (_PDF_OBJECT.search(data[: 1 << 20]) or b"%%EOF" in data[-2048:]):
        return MediaType.PDF

    decoded = decode_text(data)
    if decoded is None:
        raise _unsupported(
            "无法识别的二进制文件",
            "请上传 PDF、Word（.docx）、纯文本（.txt）或 Markdown（.md）文件。",
            f"binary content of unknown type (first bytes {bytes(data[:8]).hex()})",
        )
    text = decoded[0]
    _refuse_markup_text(text)
    if _MD_HEADING.search(text) or name.lower().rstrip().endswith(_MD_EXTENSIONS):
        return MediaType.MARKDOWN
    return MediaType.TEXT


def _refuse_markup_text(text: str) -> None:
    """Reject text formats that would index as markup noise (RTF, HTML, Word XML, MIME web archives)."""
    start = text.lstrip()[:400].lower()
    if start.startswith("{\\rtf"):
        raise _unsupported("RTF 富文本文件", _SAVE_AS, "content is RTF")
    if start.startswith(("mime-version:", "content-type: multipart")):
        raise _unsupported("MHT 网页存档", _SAVE_AS, "content is a MIME web archive (MHT)")
    if start.startswith(("<!doctype html", "<html")) or (start.startswith("<?xml") and "<html" in start):
        raise _unsupported("HTML 网页文件", _SAVE_AS, "content is HTML")
    if start.startswith("<?xml"):
        if "wordprocessingml" in start or "w:worddocument" in start or "pkg:package" in start:
            raise _unsupported("Word XML 文档", _SAVE_AS, "content is Word 2003/flat OPC XML")
        raise _unsupported("XML 数据文件", "请上传 PDF、Word（.docx）或文本文件。", "content is XML")


def decode_text(data: bytes) -> tuple[str, str] | None:
    """Decode bytes that are plausibly human-readable text.

    Tries UTF-8 (BOM optional), UTF-16 with a BOM, then GB18030 (a superset of GBK and GB2312). Text
    with NUL bytes (outside UTF-16) or many control characters is not text.

    Returns:
        ``(text, encoding)`` with the BOM removed, or ``None``.
    """
    raw = bytes(data)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not raw.startswith(codecs.BOM_UTF32_LE):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return (text, "utf-16") if _looks_like_text(text) else None
    if b"\x00" in raw:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, encoding
        return None
    return None


def _looks_like_text(text: str) -> bool:
    """Few control characters and almost no unassigned or private-use code points."""
    if not text:
        return True
    sample = text[:200_000]
    bad = 0
    for ch in sample:
        if ch in "\t\n\r\f\v":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cn", "Co", "Cs"):
            bad += 1
    return bad <= max(2, len(sample) // 200)


# --- ZIP-based formats -----------------------------------------------------------------------------


def _sniff_zip(data: bytes) -> MediaType:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            mimetype = _small_member(zf, "mimetype")
            content_types = _small_member(zf, "[Content_Types].xml", limit=1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError) as exc:
        # Too damaged to list: the local headers still show what it was meant to be.
        window = bytes(data[: 1 << 20])
        if b"word/" in window:
            return MediaType.DOCX
        if b"xl/" in window:
            raise _unsupported(
                "Excel 表格（.xlsx，且文件已损坏）", "请上传 PDF 或 Word 文档。", f"damaged XLSX: {exc}"
            ) from exc
        raise IndexingError(
            IndexingErrorCode.CORRUPT_FILE,
            "文件已损坏，无法打开（压缩结构不完整，可能上传中断或文件被截断）。请重新导出或重新上传。",
            f"unreadable ZIP archive: {type(exc).__name__}: {exc}",
        ) from exc

    lower = {n.lower().replace("\\", "/").lstrip("/") for n in names}
    ct = content_types.lower()
    if (
        "word/document.xml" in lower
        or "wordprocessingml.document.main" in ct
        or ("ms-word.document.macroenabled" in ct or "wordprocessingml.template.main" in ct)
    ):
        return MediaType.DOCX
    if "xl/workbook.xml" in lower or "spreadsheetml" in ct or any(n.startswith("xl/") for n in lower):
        raise _unsupported(
            "Excel 表格（.xlsx）",
            "表格数据请将相关内容粘贴到 Word 文档中或导出为 PDF 后上传。",
            "ZIP is an XLSX workbook",
        )
    if "ppt/presentation.xml" in lower or "presentationml" in ct or any(n.startswith("ppt/") for n in lower):
        raise _unsupported("PowerPoint 演示文稿（.pptx）", "请导出为 PDF 后上传。", "ZIP is a PPTX presentation")
    mt = mimetype.strip().lower()
    if mt.startswith("application/vnd.oasis.opendocument"):
        kind = mt.rsplit(".", 1)[-1]
        what = {"text": "OpenDocument 文本（.odt）", "spreadsheet": "OpenDocument 表格（.ods）"}.get(
            kind, "OpenDocument 文件"
        )
        raise _unsupported(what, "请用 WPS 或 Word 另存为 .docx 或导出为 PDF 后上传。", f"ZIP is ODF ({mt})")
    if "ofd.xml" in lower:
        raise _unsupported("OFD 版式文件", "请用 OFD 阅读器导出或打印为 PDF 后上传。", "ZIP is an OFD document")
    if mt == "application/epub+zip":
        raise _unsupported("EPUB 电子书", "请上传 PDF 或 Word 文档。", "ZIP is an EPUB book")
    if any(n.startswith("word/") for n in lower):
        return MediaType.DOCX  # a Word package missing its main part: reported as corrupt by the parser
    raise _unsupported("ZIP 压缩包", _ARCHIVE_ADVICE, f"plain ZIP archive with {len(names)} entries")


def _small_member(zf: zipfile.ZipFile, name: str, limit: int = 4096) -> str:
    """Read at most ``limit`` bytes of a member, or return '' when absent or unreadable."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return ""
    if info.file_size > 64 * limit:
        return ""
    try:
        with zf.open(info) as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except Exception:  # a sniffing hint only; the parser reports real damage
        return ""


# --- OLE2 compound files ---------------------------------------------------------------------------


def _sniff_ole2(data: bytes) -> IndexingError:
    """Name what an OLE2 compound file is from its directory entry names (UTF-16LE)."""

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return IndexingError(
            IndexingErrorCode.ENCRYPTED_FILE,
            "文档设置了打开密码，系统无法读取。请在 Word/WPS 中取消密码（文件 → 信息 → 保护文档）后重新上传。",
            "OLE2 container with EncryptedPackage: password-protected OOXML file",
        )
    if has("WordDocument"):
        return _unsupported(
            "旧版 Word 文档（.doc）",
            "请用 Word 或 WPS 打开后“另存为” Word 文档（.docx）或导出为 PDF，再重新上传。",
            "OLE2 compound file with a WordDocument stream (legacy .doc)",
        )
    if has("Workbook") or has("Book"):
        return _unsupported("旧版 Excel 表格（.xls）", "请上传 PDF 或 Word 文档。", "OLE2 legacy .xls workbook")
    if has("PowerPoint Document"):
        return _unsupported("旧版 PowerPoint 演示文稿（.ppt）", "请导出为 PDF 后上传。", "OLE2 legacy .ppt")
    return _unsupported(
        "旧版 Office/WPS 文件",
        "请用 Word 或 WPS 打开后“另存为” Word 文档（.docx）或导出为 PDF，再重新上传。",
        "OLE2 compound file of unknown kind",
    )
