"""Real PDF files for tests, built in memory.

Text PDFs are typeset with reportlab's ``STSong-Light`` (a standard Chinese CID font: not embedded, but its
text layer extracts exactly, which is all a parser test needs). Scanned PDFs are page images with Chinese
text drawn by Pillow in a real CJK font (WenQuanYi Zen Hei), wrapped in a PDF, so that pdfium renders them
and OCR can read them back.

Example:
    >>> data = text_pdf([Heading("一、学校概况"), Para("学校创建于1952年。")])
    >>> data[:5]
    b'%PDF-'
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CJK_FONT = "STSong-Light"
WQY_FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
A4 = (595.2756, 841.8898)
HEADER = "某某大学本科教育教学审核评估自评报告"


@dataclass(frozen=True)
class Heading:
    """A heading line; ``size`` in points (body text is ``body_size``)."""

    text: str
    size: float | None = None


@dataclass(frozen=True)
class Para:
    """A body paragraph, wrapped by the typesetter; ``indent`` = Chinese first-line indent of 2 chars."""

    text: str
    indent: bool = True


@dataclass(frozen=True)
class Table:
    """A ruled table (grid lines on every cell)."""

    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


FlowItem = Heading | Para | Table | PageBreak


def text_pdf(
    flow: Sequence[FlowItem],
    *,
    header: str | None = None,
    page_number: str | None = "- {n} -",
    body_size: float = 12,
    leading: float | None = None,
    pagesize: tuple[float, float] = A4,
    margin: float = 72,
    encrypt_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    """Typeset a flow of headings, paragraphs and ruled tables into a text PDF.

    Args:
        flow: the content, in reading order.
        header: running header drawn at the top of every page (``None``: none).
        page_number: footer with ``{n}`` for the page number (``None``: none).
        body_size: body font size in points.
        leading: line pitch (default 1.5 × body size).
        pagesize: page width and height in points.
        margin: page margin on all sides.
        encrypt_password: user password: the file is encrypted and cannot be opened without it.
        owner_password: owner password (with an empty ``encrypt_password``: encrypted, opens without one).
    """
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as RLTable

    _register_cjk_font()
    lead = leading or body_size * 1.5
    body = ParagraphStyle(
        "body", fontName=CJK_FONT, fontSize=body_size, leading=lead, wordWrap="CJK", firstLineIndent=0
    )
    indented = ParagraphStyle("indented", parent=body, firstLineIndent=2 * body_size)
    cell = ParagraphStyle("cell", parent=body, fontSize=body_size - 1.5, leading=(body_size - 1.5) * 1.3)

    def heading_style(size: float) -> ParagraphStyle:
        return ParagraphStyle(
            f"h{size}",
            parent=body,
            fontSize=size,
            leading=size * 1.5,
            spaceBefore=size * 0.5,
            spaceAfter=size * 0.3,
        )

    story = []
    for item in flow:
        if isinstance(item, Heading):
            story.append(Paragraph(_escape(item.text), heading_style(item.size or body_size)))
        elif isinstance(item, Para):
            story.append(Paragraph(_escape(item.text), indented if item.indent else body))
        elif isinstance(item, Table):
            data = [[Paragraph(_escape(c), cell) for c in row] for row in item.rows]
            t = RLTable(data, repeatRows=1, hAlign="LEFT")
            t.setStyle(
                TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
            )
            story += [Spacer(1, lead * 0.5), t, Spacer(1, lead * 0.5)]
        else:
            story.append(RLPageBreak())

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        width, height = pagesize
        if header:
            canvas.setFont(CJK_FONT, 9)
            canvas.drawCentredString(width / 2, height - margin * 0.55, header)
            canvas.setLineWidth(0.5)
            canvas.line(margin, height - margin * 0.62, width - margin, height - margin * 0.62)
        if page_number:
            canvas.setFont(CJK_FONT, 10)
            canvas.drawCentredString(width / 2, margin * 0.45, page_number.format(n=canvas.getPageNumber()))
        canvas.restoreState()

    buf = io.BytesIO()
    kwargs = {}
    if encrypt_password is not None or owner_password is not None:
        from reportlab.lib.pdfencrypt import StandardEncryption

        kwargs["encrypt"] = StandardEncryption(
            encrypt_password or "", ownerPassword=owner_password or "owner-secret", strength=128
        )
    doc = SimpleDocTemplate(
        buf,
        pagesize=pagesize,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title="test",
        author="test",
        **kwargs,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buf.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def report_pdf(pages: int = 100, *, seed: int = 0) -> bytes:
    """A synthetic self-evaluation report of about ``pages`` pages (see :func:`report_flow`), with a running
    header and page numbers. Used for the throughput measurement."""
    return text_pdf(report_flow(pages, seed=seed), header=HEADER)


def report_flow(pages: int = 100, *, seed: int = 0) -> list[FlowItem]:
    """The content of :func:`report_pdf`: chapters, sections, report prose with figures, a table per
    subsection."""
    import random

    rnd = random.Random(seed)
    phrases = [
        "学校坚持立德树人根本任务，",
        "深入推进本科教育教学改革，",
        "构建了校院两级教学质量保障体系，",
        "完善了课程思政与专业思政协同机制，",
        "生师比为17.5:1，",
        "近三年新增国家级一流本科专业12个，",
        "建成省级以上一流课程86门，",
        "教学经费投入逐年增长，2023年达到1.2亿元，",
        "毕业生就业率保持在95%以上，",
        "用人单位满意度较高。",
        "持续改进机制运行有效。",
        "实验室开放共享程度进一步提高。",
        "教师发展中心年均开展培训120余场次。",
    ]
    cn = "一二三四五六七八九十"
    flow: list[FlowItem] = []
    chapters = max(1, round(pages / 3.4))  # about 3.4 pages per chapter in this layout
    for c in range(chapters):
        flow.append(Heading(f"第{cn[c % 10]}章 教育教学审核评估自评第{c + 1}部分", size=18))
        for s in range(3):
            flow.append(Heading(f"{cn[s]}、审核重点{c + 1}.{s + 1}的建设情况", size=15))
            for k in range(2):
                flow.append(Heading(f"（{cn[k]}）主要举措与成效", size=13))
                for _ in range(2):
                    flow.append(Para("".join(rnd.choice(phrases) for _ in range(rnd.randint(6, 12)))))
                rows = [("指标", "2021年", "2022年", "2023年", "备注")]
                for r in range(rnd.randint(3, 7)):
                    rows.append(
                        (
                            f"指标项目{r + 1}",
                            str(rnd.randint(10, 999)),
                            str(rnd.randint(10, 999)),
                            f"{rnd.random() * 100:.1f}%",
                            "达到预期",
                        )
                    )
                flow.append(Table(tuple(rows)))
                flow.append(Para("".join(rnd.choice(phrases) for _ in range(rnd.randint(4, 8)))))
    return flow


def canvas_pdf(draw: Callable[..., None], *, pages: int = 1, pagesize: tuple[float, float] = A4) -> bytes:
    """A PDF drawn directly on reportlab canvases: ``draw(canvas, page_index)`` for each page.

    ``STSong-Light`` is registered, so ``canvas.setFont(CJK_FONT, size)`` works in ``draw``.
    """
    from reportlab.pdfgen.canvas import Canvas

    _register_cjk_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=pagesize)
    for i in range(pages):
        draw(c, i)
        c.showPage()
    c.save()
    return buf.getvalue()


def _register_cjk_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def page_count(data: bytes) -> int:
    """Number of pages of a PDF (via pypdfium2)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return len(doc)
    finally:
        doc.close()


def has_cjk_font() -> bool:
    """True when the WenQuanYi font needed to draw scanned pages is installed."""
    return WQY_FONT_PATH.exists()


def scanned_pdf(
    paragraphs: Sequence[str],
    *,
    dpi: int = 150,
    font_pt: float = 14,
    heading: str | None = None,
    pagesize: tuple[float, float] = A4,
    margin_pt: float = 72,
) -> bytes:
    """A one-page "scan": Chinese text drawn into an image in a real CJK font, wrapped in a PDF.

    Paragraphs are wrapped at the right margin with a first-line indent of two characters, like a
    typeset page; the PDF holds only the image (no text layer).
    """
    return images_pdf(
        [
            scanned_page_image(
                paragraphs, dpi=dpi, font_pt=font_pt, heading=heading, pagesize=pagesize, margin_pt=margin_pt
            )
        ],
        dpi=dpi,
    )


def scanned_page_image(
    paragraphs: Sequence[str],
    *,
    dpi: int = 150,
    font_pt: float = 14,
    heading: str | None = None,
    pagesize: tuple[float, float] = A4,
    margin_pt: float = 72,
):
    """The page image behind :func:`scanned_pdf`."""
    from PIL import Image, ImageDraw, ImageFont

    scale = dpi / 72
    width, height = int(pagesize[0] * scale), int(pagesize[1] * scale)
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    px = int(font_pt * scale)
    font = ImageFont.truetype(str(WQY_FONT_PATH), px)
    left, right, y = int(margin_pt * scale), width - int(margin_pt * scale), int(margin_pt * scale)
    pitch = int(px * 1.6)
    if heading:
        hfont = ImageFont.truetype(str(WQY_FONT_PATH), int(px * 1.3))
        draw.text((left, y), heading, font=hfont, fill=0)
        y += int(px * 1.3 * 1.8)
    for para in paragraphs:
        line, x0 = "", left + 2 * px
        for ch in para:
            if x0 + draw.textlength(line + ch, font=font) > right and line:
                draw.text((x0, y), line, font=font, fill=0)
                y += pitch
                line, x0 = "", left
            line += ch
        if line:
            draw.text((x0, y), line, font=font, fill=0)
            y += pitch
    return img


def images_pdf(images: Sequence, *, dpi: int = 150) -> bytes:
    """Wrap page images (PIL) into a PDF, one image per page, with no text layer."""
    buf = io.BytesIO()
    first, *rest = [im.convert("RGB") for im in images]
    first.save(buf, format="PDF", resolution=float(dpi), save_all=True, append_images=rest)
    return buf.getvalue()


def garbled_text_pdf(paragraphs: Sequence[str]) -> bytes:
    """A text PDF whose text layer decodes to ``(cid:N)`` garbage, like PDFs with broken font encodings.

    The content is typeset in STSong-Light and then the font's CMap name is changed to one no reader
    knows, so the glyph codes can no longer be mapped to Unicode (same byte length: offsets stay valid).
    """
    data = text_pdf([Para(p) for p in paragraphs], header=None, page_number=None)
    out = data.replace(b"/UniGB-UCS2-H", b"/UniGB-XXXX-H")
    assert out != data
    return out


def embedded_font_pdf(paragraphs: Sequence[str], *, drop_to_unicode: bool = False, size: float = 14) -> bytes:
    """A text PDF in an embedded TrueType CJK font (WenQuanYi Zen Hei), so pdfium can render it.

    With ``drop_to_unicode`` the font's ToUnicode map is made unreadable: the text layer is mojibake, yet
    the page renders correctly and OCR can recover the text.
    """
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    if "WQYZenHei" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQYZenHei", str(WQY_FONT_PATH), subfontIndex=0))
    style = ParagraphStyle(
        "b", fontName="WQYZenHei", fontSize=size, leading=size * 1.6, wordWrap="CJK", firstLineIndent=2 * size
    )
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=72, rightMargin=72, topMargin=72, bottomMargin=72)
    doc.build([Paragraph(_escape(p), style) for p in paragraphs])
    data = buf.getvalue()
    if drop_to_unicode:
        data = re.sub(rb"/ToUnicode(\s+\d+\s+\d+\s+R)", lambda m: b"/ToUnicodX" + m.group(1), data)
    return data
