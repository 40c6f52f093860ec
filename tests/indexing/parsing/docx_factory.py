"""Builders of real DOCX (and other) files for parser tests.

Files are made with python-docx; what python-docx has no API for (text boxes, rendered page breaks,
content controls, numbering definitions, tracked changes) is written as raw WordprocessingML.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Callable

import docx
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

WPS = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"


def docx_bytes(build: Callable[[DocxDocument], object]) -> bytes:
    """Create a document with python-docx, let ``build`` fill it, and return the saved bytes."""
    document = docx.Document()
    build(document)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def xml_all(fragment: str) -> list:
    """Parse WordprocessingML sibling elements (the ``w:`` and drawing namespaces are declared for you)."""
    wrapper = parse_xml(f"<w:wrapper {_ns()}>{fragment}</w:wrapper>")
    children = list(wrapper)
    for child in children:
        wrapper.remove(child)
    return children


def xml(fragment: str):
    """Parse one WordprocessingML element."""
    (element,) = xml_all(fragment)
    return element


def _ns() -> str:
    return (
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:v="urn:schemas-microsoft-com:vml" '
        f'xmlns:wps="{WPS}"'
    )


def body_append(document: DocxDocument, fragment: str) -> None:
    """Append a body-level element (``w:p``, ``w:tbl``, ``w:sdt`` …) before the final ``w:sectPr``."""
    body = document.element.body
    body.sectPr.addprevious(xml(fragment)) if body.sectPr is not None else body.append(xml(fragment))


def paragraph_append(paragraph: Paragraph, fragment: str) -> None:
    """Append inline elements (runs, hyperlinks …) to a paragraph."""
    for element in xml_all(fragment):
        paragraph._p.append(element)


def paragraph_prepend_run(paragraph: Paragraph, fragment: str) -> None:
    """Insert a run at the start of a paragraph (after its properties)."""
    p = paragraph._p
    p.insert(1 if p.pPr is not None else 0, xml(fragment))


def text_box_run(*texts: str) -> str:
    """A run holding a floating text box, written both as DrawingML (Choice) and VML (Fallback)."""
    paras = "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in texts)
    return (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" behindDoc="0" '
        'locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        '<wp:extent cx="1828800" cy="914400"/><wp:wrapNone/><wp:docPr id="1" name="Text Box 1"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f"<wps:wsp><wps:txbx><w:txbxContent>{paras}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>"
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        '<mc:Fallback><w:pict><v:shape style="width:144pt;height:72pt"><v:textbox>'
        f"<w:txbxContent>{paras}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )


def add_numbering(document: DocxDocument, levels: list[tuple[str, str]], start: int = 1) -> int:
    """Define a list in numbering.xml; ``levels`` are ``(numFmt, lvlText)`` per level. Returns its numId."""
    numbering = document.part.numbering_part.element
    abstract_ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    num_ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
    aid, nid = max(abstract_ids, default=0) + 1, max(num_ids, default=0) + 1
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    abstract = xml(
        f'<w:abstractNum w:abstractNumId="{aid}"><w:multiLevelType w:val="multilevel"/>{lvls}</w:abstractNum>'
    )
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(xml(f'<w:num w:numId="{nid}"><w:abstractNumId w:val="{aid}"/></w:num>'))
    return nid


def set_numbering(paragraph: Paragraph, num_id: int, ilvl: int = 0) -> None:
    """Give a paragraph automatic numbering (``w:numPr``)."""
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(xml(f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def set_outline_level(paragraph: Paragraph, level0: int) -> None:
    """Set a paragraph's outline level directly (0 = level 1, 9 = body text)."""
    paragraph._p.get_or_add_pPr().append(xml(f'<w:outlineLvl w:val="{level0}"/>'))


def add_paragraph_style(
    document: DocxDocument, name: str, *, based_on: str | None = None, outline: int | None = None
) -> str:
    """Add a custom paragraph style (name as a localized Word would write it); returns its style id."""
    style_id = "S" + hashlib.md5(name.encode()).hexdigest()[:10]
    parts = [f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{name}"/>']
    if based_on:
        parts.append(f'<w:basedOn w:val="{based_on}"/>')
    if outline is not None:
        parts.append(f'<w:pPr><w:outlineLvl w:val="{outline}"/></w:pPr>')
    parts.append("</w:style>")
    document.styles.element.append(xml("".join(parts)))
    return style_id


def styled_paragraph(document: DocxDocument, text: str, style_id: str) -> Paragraph:
    """Add a paragraph with a style given by id (bypassing python-docx's lookup by UI name)."""
    p = document.add_paragraph(text)
    p._p.get_or_add_pPr().append(xml(f'<w:pStyle w:val="{style_id}"/>'))
    return p


def rewrite_zip(data: bytes, *, drop: tuple[str, ...] = (), replace: dict[str, bytes] | None = None) -> bytes:
    """Copy a ZIP package, leaving out members in ``drop`` and replacing members in ``replace``."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info.filename, replace.get(info.filename, src.read(info.filename)))
    return out.getvalue()


def zip_bomb(data: bytes, zeros: int = 50 * 1024 * 1024) -> bytes:
    """A real DOCX with an extra member of ``zeros`` zero bytes (compresses about 1000:1)."""
    out = io.BytesIO(data)
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as zf,
        zf.open("word/media/padding.bin", "w", force_zip64=True) as fh,
    ):
        chunk = bytes(1 << 20)
        for _ in range(zeros // len(chunk)):
            fh.write(chunk)
    return out.getvalue()


def png_bytes() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def ole2_bytes(*streams: str) -> bytes:
    """The start of an OLE2 compound file whose directory names ``streams`` (enough for sniffing)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    directory = b"".join(s.encode("utf-16-le").ljust(64, b"\x00") + bytes(64) for s in ("Root Entry", *streams))
    return header + directory + bytes(1024)
