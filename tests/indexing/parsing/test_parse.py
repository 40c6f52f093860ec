"""The parsing entry point: type sniffing by content, limits, and typed errors for bad input."""

from __future__ import annotations

import hashlib
import io
import re
import sys
import zipfile

import pytest

from indexing.errors import IndexingError, IndexingErrorCode
from indexing.models import BlockKind, MediaType
from indexing.options import ParseOptions
from indexing.parsing import display_name, parse, parse_path
from indexing.parsing.sniff import sniff
from tests.indexing.parsing.docx_factory import docx_bytes, ole2_bytes, png_bytes, rewrite_zip, zip_bomb

pytestmark = pytest.mark.unit

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _report(d) -> None:
    d.add_heading("一、学校概况", 1)
    d.add_paragraph("学校创建于1952年，现有本科专业80个。")


def _error(data: bytes, name: str = "", options: ParseOptions | None = None) -> IndexingError:
    with pytest.raises(IndexingError) as err:
        parse(data, name=name, options=options or ParseOptions())
    exc = err.value
    assert _CJK.search(exc.message_zh), "the clerk's message is Chinese"
    assert exc.detail, "the log detail is set"
    return exc


def test_document_id_is_the_sha256_of_the_bytes_and_type_comes_from_content():
    data = docx_bytes(_report)
    doc = parse(data, name="自评报告.docx")
    assert doc.id == hashlib.sha256(data).hexdigest()
    assert doc.media_type is MediaType.DOCX
    assert doc.name == "自评报告.docx"
    assert [b.kind for b in doc.blocks] == [BlockKind.HEADING, BlockKind.PARAGRAPH]


def test_docx_named_pdf_is_parsed_as_docx():
    doc = parse(docx_bytes(_report), name="自评报告.pdf")
    assert doc.media_type is MediaType.DOCX
    assert doc.blocks[1].text.startswith("学校创建于1952年")


def test_text_named_docx_is_parsed_as_text():
    doc = parse("学校概况。".encode(), name="报告.docx")
    assert doc.media_type is MediaType.TEXT


def test_markdown_by_content_and_by_extension_hint():
    assert parse(b"# Title\n\nbody", name="notes.txt").media_type is MediaType.MARKDOWN
    assert parse("正文一段。".encode(), name="说明.md").media_type is MediaType.MARKDOWN
    assert parse("正文一段。".encode(), name="说明.txt").media_type is MediaType.TEXT


def test_parse_path_reads_the_file_and_uses_its_name(tmp_path):
    path = tmp_path / "自评报告.docx"
    path.write_bytes(docx_bytes(_report))
    doc = parse_path(path)
    assert doc.name == "自评报告.docx" and doc.media_type is MediaType.DOCX
    assert parse_path(str(path), ParseOptions()).id == doc.id  # positional options, str path


def test_hostile_name_is_reduced_to_a_safe_display_name():
    doc = parse("学校概况。".encode(), name="../../etc/\u202epasswd\x00\n<script>.txt")
    assert doc.name == "passwd<script>.txt"
    assert "/" not in doc.name and "\x00" not in doc.name
    assert display_name("C:\\Users\\a\\报告.docx") == "报告.docx"
    assert display_name("..") == ""
    long = display_name("很长" * 300 + ".docx")
    assert len(long) <= 200 and long.endswith(".docx")


# --- errors ------------------------------------------------------------------------------------------


def test_empty_file():
    exc = _error(b"", name="空.docx")
    assert exc.code is IndexingErrorCode.EMPTY_FILE
    assert "空" in exc.message_zh


def test_file_over_the_size_limit(tmp_path):
    data = docx_bytes(_report)
    options = ParseOptions(max_bytes=len(data) - 1)
    exc = _error(data, options=options)
    assert exc.code is IndexingErrorCode.FILE_TOO_LARGE
    assert "MB" in exc.message_zh
    path = tmp_path / "big.docx"
    path.write_bytes(data)
    with pytest.raises(IndexingError) as err:
        parse_path(path, options)
    assert err.value.code is IndexingErrorCode.FILE_TOO_LARGE


def test_truncated_docx_is_corrupt():
    data = docx_bytes(_report)
    exc = _error(data[: len(data) // 2], name="截断.docx")
    assert exc.code is IndexingErrorCode.CORRUPT_FILE
    assert "损坏" in exc.message_zh


def test_docx_without_main_document_part_is_corrupt():
    data = rewrite_zip(docx_bytes(_report), drop=("word/document.xml",))
    exc = _error(data)
    assert exc.code is IndexingErrorCode.CORRUPT_FILE


def test_zip_bomb_docx_is_refused_by_ratio():
    data = zip_bomb(docx_bytes(_report), zeros=50 * 1024 * 1024)
    assert len(data) < 1024 * 1024
    exc = _error(data)
    assert exc.code is IndexingErrorCode.ARCHIVE_BOMB
    assert "expands" in exc.detail


def test_zip_bomb_docx_is_refused_by_total_size():
    data = zip_bomb(docx_bytes(_report), zeros=2 * 1024 * 1024)
    options = ParseOptions(max_docx_uncompressed_bytes=1024 * 1024, max_docx_ratio=1e9)
    exc = _error(data, options=options)
    assert exc.code is IndexingErrorCode.ARCHIVE_BOMB
    assert "uncompressed size" in exc.detail


def test_xlsx_is_unsupported_and_named_excel():
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "生师比"
    buf = io.BytesIO()
    wb.save(buf)
    exc = _error(buf.getvalue(), name="数据.docx")
    assert exc.code is IndexingErrorCode.UNSUPPORTED_TYPE
    assert "Excel" in exc.message_zh


def test_pptx_and_plain_zip_are_unsupported_and_named():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("ppt/presentation.xml", "<p:presentation/>")
    assert "PowerPoint" in _error(buf.getvalue()).message_zh
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("材料/说明.txt", "hello")
    exc = _error(buf.getvalue(), name="材料.docx")
    assert exc.code is IndexingErrorCode.UNSUPPORTED_TYPE and "压缩包" in exc.message_zh


def test_odt_and_ofd_are_unsupported_and_named():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
    assert ".odt" in _error(buf.getvalue()).message_zh
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("OFD.xml", "<ofd:OFD/>")
    assert "OFD" in _error(buf.getvalue()).message_zh


def test_png_is_unsupported_and_called_an_image():
    exc = _error(png_bytes(), name="扫描件.pdf")
    assert exc.code is IndexingErrorCode.UNSUPPORTED_TYPE
    assert "图片" in exc.message_zh


def test_legacy_doc_asks_to_save_as_docx():
    exc = _error(ole2_bytes("WordDocument", "1Table"), name="报告.doc")
    assert exc.code is IndexingErrorCode.UNSUPPORTED_TYPE
    assert ".doc" in exc.message_zh and ".docx" in exc.message_zh
    assert "legacy .doc" in exc.detail


def test_password_protected_office_file_is_encrypted():
    exc = _error(ole2_bytes("EncryptionInfo", "EncryptedPackage"), name="加密.docx")
    assert exc.code is IndexingErrorCode.ENCRYPTED_FILE
    assert "密码" in exc.message_zh


@pytest.mark.parametrize(
    ("data", "word"),
    [
        (b"{\\rtf1\\ansi hello}", "RTF"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "HTML"),
        (b"\x7fELF\x02\x01\x01" + bytes(100), "程序"),
        (bytes(range(256)) * 4, "二进制"),
    ],
)
def test_other_formats_are_unsupported(data, word):
    exc = _error(data, name="x.txt")
    assert exc.code is IndexingErrorCode.UNSUPPORTED_TYPE
    assert word in exc.message_zh


def test_gbk_text_file():
    doc = parse("一、学校概况\n学校坚持立德树人。\n".encode("gbk"), name="报告.txt")
    assert doc.media_type is MediaType.TEXT
    assert [b.text for b in doc.blocks] == ["一、学校概况", "学校坚持立德树人。"]


def test_docx_without_text_has_no_text_error():
    exc = _error(docx_bytes(lambda d: d.add_paragraph("   ")), name="空白.docx")
    assert exc.code is IndexingErrorCode.NO_TEXT
    assert "文字" in exc.message_zh


def test_unexpected_parser_failure_becomes_corrupt_file(monkeypatch):
    import indexing.parsing.docx as docx_module

    def boom(*args, **kwargs):
        raise RuntimeError("library bug")

    monkeypatch.setattr(docx_module, "parse_docx", boom)
    exc = _error(docx_bytes(_report))
    assert exc.code is IndexingErrorCode.CORRUPT_FILE
    assert "RuntimeError" in exc.detail


def test_indexing_errors_from_a_parser_pass_through(monkeypatch):
    import indexing.parsing.docx as docx_module

    def refuse(*args, **kwargs):
        raise IndexingError(IndexingErrorCode.TOO_MANY_PAGES, "页数过多。", "too many pages")

    monkeypatch.setattr(docx_module, "parse_docx", refuse)
    assert _error(docx_bytes(_report)).code is IndexingErrorCode.TOO_MANY_PAGES


# --- PDF dispatch ------------------------------------------------------------------------------------


def test_pdf_is_sniffed_at_the_start_or_after_a_little_junk():
    assert sniff(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF") is MediaType.PDF
    assert sniff(b"\r\nGarbage header\r\n%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n") is MediaType.PDF
    assert sniff("关于 %PDF- 格式的说明文字。".encode()) is MediaType.TEXT
    assert sniff(b"Notes: a file starting with %PDF-1.7 holds objects.") is MediaType.TEXT


def test_pdf_parser_missing_is_a_typed_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "indexing.parsing.pdf", None)  # import raises ImportError
    exc = _error(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
    assert exc.code is IndexingErrorCode.UNSUPPORTED_TYPE


def _pdf_bytes(text_lines: list[str], pages: int = 1, **canvas_kwargs) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, **canvas_kwargs)
    for page in range(pages):
        y = 700
        for line in text_lines:
            c.drawString(72, y, f"{line} ({page + 1})")
            y -= 20
        c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_is_dispatched_to_the_pdf_parser():
    data = _pdf_bytes(["Self-evaluation report", "The student-teacher ratio is 17.5 to 1."])
    doc = parse(data, name="report.docx")
    assert doc.media_type is MediaType.PDF
    assert doc.id == hashlib.sha256(data).hexdigest()
    assert "17.5" in " ".join(b.text for b in doc.blocks)


def test_pdf_with_leading_junk_is_dispatched_to_the_pdf_parser():
    data = b"\x00\x00junk\r\n" + _pdf_bytes(["Leading junk before the header is tolerated."])
    try:
        doc = parse(data, name="junk.pdf")
    except IndexingError as exc:  # a parser may refuse the shifted offsets; it must say so in type
        assert exc.code is IndexingErrorCode.CORRUPT_FILE
    else:
        assert doc.media_type is MediaType.PDF


def test_corrupt_pdf_is_a_typed_error():
    data = _pdf_bytes(["A page that will be cut off."])
    exc = _error(data[:200], name="坏.pdf")
    assert exc.code in (IndexingErrorCode.CORRUPT_FILE, IndexingErrorCode.NO_TEXT)


def test_damaged_docx_variants_never_raise_anything_but_indexing_error():
    import random

    data = docx_bytes(_report)
    rnd = random.Random(7)
    for _ in range(150):
        b = bytearray(data)
        if rnd.random() < 0.5:
            for _ in range(rnd.randint(1, 8)):
                b[rnd.randrange(len(b))] = rnd.randrange(256)
        else:
            b = b[: rnd.randrange(1, len(b))]
        try:
            parse(bytes(b), name="x.docx")
        except IndexingError as exc:
            assert exc.message_zh and exc.detail


def test_encrypted_pdf_is_a_typed_error():
    exc = _error(_pdf_bytes(["Confidential report."], encrypt="secret"), name="加密.pdf")
    assert exc.code is IndexingErrorCode.ENCRYPTED_FILE


def test_pdf_over_the_page_limit_is_a_typed_error():
    exc = _error(_pdf_bytes(["A page of the report."], pages=3), options=ParseOptions(max_pages=2))
    assert exc.code is IndexingErrorCode.TOO_MANY_PAGES
