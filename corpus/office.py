"""Writers that make PDFs the way universities make them: Word → LibreOffice, web page → Chromium, scanner.

* :func:`write_docx_libreoffice`: a Word document (python-docx) converted by LibreOffice headless: cover,
  a printed 目录 page (entries with dot-leader tab stops and the body's page numbers, as Word prints an
  updated TOC field), 黑体 headings over 仿宋 body, 宋体 tables (grid or three-line), Word footnotes,
  a two-column Word section, ● bullets, page numbers restarting at 1 on the first body page.
* :func:`write_html_chromium`: a state-data style web page printed by headless Chromium: the same
  layout in HTML/CSS (``column-count: 2``, CSS page breaks, ``@page`` footers), fonts-wqy-zenhei, no
  external URLs.
* :func:`write_scanned`: the pages of a rendered PDF rasterised, slightly rotated, blurred and noised,
  written back as an image-only PDF.

Each writer returns the PDF path and writes the sidecar ``<name>.labels.json``
(:class:`corpus.realistic.RealisticLabels`). The TOC's page numbers come from rendering twice: the first
rendering tells on which page each heading landed.

Debian packages: ``libreoffice-writer`` (soffice), ``chromium``, ``fonts-wqy-zenhei``.

Example:
    >>> write_docx_libreoffice(generate_report(3), Path("/tmp/r.pdf"), excerpt=Excerpt(1, 2))  # doctest: +SKIP
"""

from __future__ import annotations

import html
import io
import os
import random
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.generator import SyntheticReport, generate_report
from corpus.realistic import (
    DOCX_FAMILIES,
    HTML_FAMILIES,
    TOC_TITLE,
    Excerpt,
    LayoutHeading,
    LayoutParagraph,
    LayoutTable,
    RealisticLabels,
    RealisticReport,
    TableKind,
    TableRule,
    TwoColumns,
    Writer,
    compose,
    load_realistic_labels,
    locate,
    write_realistic_labels,
)

SOFFICE_NAMES = ("soffice", "libreoffice")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CJK_WEB_FONT = "WenQuanYi Zen Hei"
_RENDER_PASSES = 3
_SCAN_WHITE = 240


class ToolMissingError(RuntimeError):
    """A rendering program is not installed."""


class RenderError(RuntimeError):
    """A rendering program failed or its output is unusable."""


def find_tool(names: Sequence[str], package: str) -> str:
    """The first of ``names`` on PATH, else a :class:`ToolMissingError` naming the Debian package."""
    for name in names:
        if path := shutil.which(name):
            return path
    raise ToolMissingError(f"未找到 {names[0]}：请安装 Debian 软件包 {package}")


def _run(cmd: Sequence[str], timeout_s: float, what: str) -> None:
    """Run a converter in its own process group, killing the whole group on timeout (soffice forks)."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    try:
        _, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RenderError(f"{what} 超时（{timeout_s:.0f} 秒）") from None
    if proc.returncode != 0:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise RenderError(f"{what} 失败（退出码 {proc.returncode}）：{' '.join(tail)}")


def docx_to_pdf(docx: Path, pdf: Path, *, timeout_s: float = 180) -> Path:
    """Convert a DOCX to PDF with LibreOffice headless, in a private profile so parallel runs do not clash.

    Args:
        docx: the Word file.
        pdf: the PDF to write.
        timeout_s: kill LibreOffice after this long.

    Returns:
        ``pdf``.
    """
    soffice = find_tool(SOFFICE_NAMES, "libreoffice-writer")
    with tempfile.TemporaryDirectory(prefix="ciqa-lo-") as tmp:
        out = Path(tmp) / "out"
        # Word's own PDF export writes no bookmarks by default; the real reports have none either.
        export = 'pdf:writer_pdf_Export:{"ExportBookmarks":{"type":"boolean","value":"false"}}'
        cmd = [
            soffice,
            f"-env:UserInstallation={(Path(tmp) / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            export,
            "--outdir",
            str(out),
            str(docx),
        ]
        _run(cmd, timeout_s, "LibreOffice 转换")
        produced = out / f"{docx.stem}.pdf"
        if not produced.is_file() or produced.stat().st_size == 0:
            raise RenderError(f"LibreOffice 未生成 PDF：{docx.name}")
        shutil.move(produced, pdf)
    return pdf


def html_to_pdf(page: Path, pdf: Path, *, timeout_s: float = 120) -> Path:
    """Print an HTML file to PDF with headless Chromium (fresh profile, no network, no header/footer).

    Args:
        page: the HTML file.
        pdf: the PDF to write.
        timeout_s: kill Chromium after this long.

    Returns:
        ``pdf``.
    """
    chromium = find_tool(CHROMIUM_NAMES, "chromium")
    with tempfile.TemporaryDirectory(prefix="ciqa-chromium-") as tmp:
        out = Path(tmp) / "out.pdf"
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            "--no-pdf-header-footer",
            page.resolve().as_uri(),
        ]
        _run(cmd, timeout_s, "Chromium 打印")
        if not out.is_file() or out.stat().st_size == 0:
            raise RenderError(f"Chromium 未生成 PDF：{page.name}")
        shutil.move(out, pdf)
    return pdf


@dataclass(frozen=True)
class _Rendering:
    """Renders a layout with given TOC page numbers into a PDF."""

    render: Callable[[RealisticReport, Path, Sequence[str]], None]
    writer: Writer
    restart_numbering: bool  # the body's page numbers start at 1 after the cover and TOC


def _render_with_toc(layout: RealisticReport, pdf: Path, how: _Rendering) -> RealisticLabels:
    """Render until the TOC's printed page numbers are the pages the headings landed on."""
    toc = layout.toc_headings()
    numbers = ["0"] * len(toc)
    for _ in range(_RENDER_PASSES):
        how.render(layout, pdf, numbers)
        labels = locate(layout, pdf, how.writer, numbers)
        missing = [h.text for h in labels.headings if h.page is None and not h.run_in]
        missing += [t.title for t in labels.tables if t.page is None]
        missing += [f.evidence for f in labels.facts if f.page is None and f.table_title]
        if missing:
            raise RenderError(f"PDF 文本层中缺少内容：{'、'.join(missing)}")
        pages = [h.page for h in labels.headings if not h.run_in and h.level <= layout.toc_levels]
        offset = pages[0] - 1 if how.restart_numbering else 0
        found = [str(p - offset) for p in pages if p is not None]
        if found == numbers:
            return labels
        numbers = found
    raise RenderError("目录页码未能稳定")


# --- DOCX via LibreOffice ----------------------------------------------------------------------------


def write_docx_libreoffice(
    report: SyntheticReport,
    pdf: Path,
    *,
    excerpt: Excerpt | None = None,
    docx: Path | None = None,
    timeout_s: float = 180,
) -> Path:
    """Render a report as a Word document converted to PDF by LibreOffice, with its sidecar labels.

    Args:
        report: the generated report.
        pdf: the PDF to write (``<stem>.labels.json`` is written beside it).
        excerpt: lay out only part of the report.
        docx: also keep the Word file here.
        timeout_s: per LibreOffice run.

    Returns:
        ``pdf``.
    """
    layout = compose(report, DOCX_FAMILIES, excerpt=excerpt)
    with tempfile.TemporaryDirectory(prefix="ciqa-docx-") as tmp:
        source = Path(tmp) / f"{pdf.stem}.docx"

        def render(layout: RealisticReport, out: Path, numbers: Sequence[str]) -> None:
            build_docx(layout, source, numbers)
            docx_to_pdf(source, out, timeout_s=timeout_s)

        labels = _render_with_toc(layout, pdf, _Rendering(render, Writer.DOCX_LIBREOFFICE, restart_numbering=True))
        if docx is not None:
            shutil.copyfile(source, docx)
    write_realistic_labels(labels, pdf)
    return pdf


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_HEADING_FONTS = {1: ("黑体", 16), 2: ("黑体", 14), 3: ("楷体", 14), 4: ("仿宋", 12), 5: ("仿宋", 12)}
_BODY_FONT, _TABLE_FONT = "仿宋", "宋体"


def build_docx(layout: RealisticReport, path: Path, toc_numbers: Sequence[str]) -> None:
    """Write the layout as a Word document.

    Args:
        layout: the composed report.
        path: the DOCX to write.
        toc_numbers: the page number printed in each TOC line.
    """
    from docx import Document
    from docx.enum.section import WD_SECTION
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Mm, Pt

    doc = Document()
    _docx_styles(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    text_width = section.page_width - section.left_margin - section.right_margin

    cover = doc.add_paragraph(style="Title")
    cover.paragraph_format.space_before = Pt(150)
    cover.add_run(layout.title)
    for line in (layout.school, layout.date):
        p = doc.add_paragraph(style="Normal")
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = 0
        p.paragraph_format.space_before = Pt(36)
        _run_font(p.add_run(line), "黑体", 16)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    toc_title = doc.add_paragraph(style="Normal")
    toc_title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    toc_title.paragraph_format.first_line_indent = 0
    toc_title.paragraph_format.space_after = Pt(18)
    _run_font(toc_title.add_run(TOC_TITLE), "黑体", 16)
    for h, number in zip(layout.toc_headings(), toc_numbers, strict=True):
        _toc_line(doc, h, number, text_width)

    body = doc.add_section(WD_SECTION.NEW_PAGE)
    _page_numbers(body, layout)
    notes = _Footnotes()
    for e in layout.elements:
        if isinstance(e, LayoutHeading):
            doc.add_paragraph(e.text, style=f"Heading {e.level}")
        elif isinstance(e, LayoutParagraph):
            _docx_paragraph(doc, e, notes)
        elif isinstance(e, TwoColumns):
            _set_columns(doc.add_section(WD_SECTION.CONTINUOUS), 2)
            for p in e.paragraphs:
                _docx_paragraph(doc, p, notes)
            # A continuous break, so the two columns are balanced as in Word.
            _set_columns(doc.add_section(WD_SECTION.CONTINUOUS), 1)
        else:
            _docx_table(doc, e, notes, text_width)
    # LibreOffice 7.4 loses the end of a last section that follows a continuous break (a table's rows, the
    # paragraphs after it): the last section holds only an empty paragraph.
    doc.add_section(WD_SECTION.CONTINUOUS)
    doc.add_paragraph(style="Normal")
    notes.attach(doc)
    doc.core_properties.title = layout.title
    doc.core_properties.author = layout.school
    doc.save(str(path))


def _docx_styles(doc) -> None:
    """仿宋 body with a two-character first-line indent; black 黑体/楷体/仿宋 headings (no theme fonts)."""
    from docx.shared import Pt, RGBColor

    normal = doc.styles["Normal"]
    _style_font(normal, _BODY_FONT, 12)
    normal.paragraph_format.first_line_indent = Pt(24)
    normal.paragraph_format.line_spacing = 1.5
    normal.paragraph_format.space_after = Pt(0)
    for level, (font, size) in _HEADING_FONTS.items():
        style = doc.styles[f"Heading {level}"]
        _style_font(style, font, size)
        style.font.bold = level <= 3
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.first_line_indent = Pt(0) if level == 1 else Pt(24)
        fmt.space_before, fmt.space_after = Pt(12 if level <= 2 else 6), Pt(6)
        fmt.keep_with_next = True
        if level == 1:
            fmt.alignment = 1  # centred, as chapter titles are
    title = doc.styles["Title"]
    _style_font(title, "黑体", 26)
    title.font.color.rgb = RGBColor(0, 0, 0)
    title.paragraph_format.alignment = 1
    title_ppr = title.element.get_or_add_pPr()
    for border in title_ppr.findall(f"{{{_W}}}pBdr"):
        title_ppr.remove(border)


def _style_font(style, name: str, size: float) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style.font.name = name
    style.font.size = Pt(size)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:eastAsia"), name)


def _run_font(run, name: str, size: float | None = None, *, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold or None


def _toc_line(doc, heading: LayoutHeading, number: str, text_width: int) -> None:
    """A TOC line: title, a dot-leader tab stop at the right margin, the page number."""
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.shared import Pt

    p = doc.add_paragraph(style="Normal")
    fmt = p.paragraph_format
    fmt.first_line_indent = Pt(0)
    fmt.left_indent = Pt(24 * (heading.level - 1))
    fmt.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
    run = p.add_run(f"{heading.text}\t{number}")
    if heading.level == 1:
        _run_font(run, "黑体", 12)


def _page_numbers(section, layout: RealisticReport) -> None:
    """Running header (school and title) and a centred PAGE field restarting at 1 in the body."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section.header.is_linked_to_previous = False
    head = section.header.paragraphs[0]
    head.text = f"{layout.school}  {layout.title}"
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    section.footer.is_linked_to_previous = False
    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    foot.add_run("— ")
    _field(foot, "PAGE", "1")
    foot.add_run(" —")
    start = OxmlElement("w:pgNumType")
    start.set(qn("w:start"), "1")
    section._sectPr.append(start)


def _field(paragraph, instruction: str, cached: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fld_char(kind: str):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    paragraph.add_run()._r.append(fld_char("begin"))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(fld_char("separate"))
    paragraph.add_run(cached)
    paragraph.add_run()._r.append(fld_char("end"))


def _set_columns(section, count: int) -> None:
    """Columns of a section; a later section must not restart the page numbers."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    sect = section._sectPr
    for el in sect.findall(qn("w:pgNumType")) + sect.findall(qn("w:cols")):
        sect.remove(el)
    if count > 1:
        cols = OxmlElement("w:cols")
        cols.set(qn("w:num"), str(count))
        cols.set(qn("w:space"), "425")
        sect.append(cols)


class _Footnotes:
    """Word footnotes: python-docx has no API, so the footnotes part is written here."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def reference(self, paragraph, text: str) -> None:
        """Append a superscript footnote reference to a paragraph."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        self.notes.append(text)
        run = paragraph.add_run()
        rpr = run._r.get_or_add_rPr()
        align = OxmlElement("w:vertAlign")
        align.set(qn("w:val"), "superscript")
        rpr.append(align)
        ref = OxmlElement("w:footnoteReference")
        ref.set(qn("w:id"), str(len(self.notes)))
        run._r.append(ref)

    def attach(self, doc) -> None:
        if not self.notes:
            return
        from docx.opc.constants import RELATIONSHIP_TYPE
        from docx.opc.packuri import PackURI
        from docx.opc.part import Part

        def separator(kind: str, note_id: int) -> str:
            return (
                f'<w:footnote w:type="{kind}" w:id="{note_id}"><w:p><w:pPr><w:spacing w:after="0"/></w:pPr>'
                f"<w:r><w:{kind}/></w:r></w:p></w:footnote>"
            )

        notes = "".join(
            f'<w:footnote w:id="{k}"><w:p><w:pPr><w:spacing w:after="0"/></w:pPr>'
            f'<w:r><w:rPr><w:vertAlign w:val="superscript"/><w:sz w:val="18"/></w:rPr><w:footnoteRef/></w:r>'
            f'<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:t xml:space="preserve"> {html.escape(text)}</w:t></w:r>'
            f"</w:p></w:footnote>"
            for k, text in enumerate(self.notes, start=1)
        )
        xml = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{_W}">'
            f"{separator('separator', -1)}{separator('continuationSeparator', 0)}{notes}</w:footnotes>"
        )
        part = Part(PackURI("/word/footnotes.xml"), _FOOTNOTES_CT, xml.encode("utf-8"), doc.part.package)
        doc.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)


def _docx_paragraph(doc, e: LayoutParagraph, notes: _Footnotes) -> None:
    p = doc.add_paragraph(style="Normal")
    if e.run_in:
        _run_font(p.add_run(e.lead), "黑体", bold=True)
    p.add_run(f"●{e.text}" if e.bullet else e.text)
    if e.footnote:
        notes.reference(p, e.footnote)


def _docx_table(doc, e: LayoutTable, notes: _Footnotes, text_width: int) -> None:
    """A captioned 宋体 table, grid-ruled or three-line (top, under-header and bottom rules only)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    caption = doc.add_paragraph(style="Normal")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.first_line_indent = Pt(0)
    caption.paragraph_format.keep_with_next = True
    _run_font(caption.add_run(e.title), "黑体", 10.5)
    table = doc.add_table(rows=0, cols=len(e.header))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    first = 0.55 if e.kind is TableKind.KEY_VALUE else 0.34
    widths = [int(text_width * first)] + [int(text_width * (1 - first) / (len(e.header) - 1))] * (len(e.header) - 1)
    for r, row in enumerate((e.header, *e.rows)):
        cells = table.add_row().cells
        for col, (cell, value) in enumerate(zip(cells, row, strict=True)):
            cell.width = widths[col]
            p = cell.paragraphs[0]
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.line_spacing = 1.15
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if col == 0 and r else WD_ALIGN_PARAGRAPH.CENTER
            _run_font(p.add_run(value), _TABLE_FONT, 10.5, bold=r == 0)
            if e.note and r - 1 == e.note.row and col == e.note.column:
                notes.reference(p, e.note.text)
    _table_rules(table, e.rule)


def _table_rules(table, rule: TableRule) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def borders(parent, tag: str, sides: dict[str, int]):
        # Schema order: table borders come before the table look (Word rejects them after it).
        box = OxmlElement(tag)
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            el = OxmlElement(f"w:{side}")
            size = sides.get(side, 0)
            el.set(qn("w:val"), "single" if size else "nil")
            if size:
                el.set(qn("w:sz"), str(size))
                el.set(qn("w:space"), "0")
                el.set(qn("w:color"), "000000")
            box.append(el)
        look = parent.find(qn("w:tblLook"))
        if look is None:
            parent.append(box)
        else:
            look.addprevious(box)

    tbl_pr = table._tbl.tblPr
    if rule is TableRule.GRID:
        borders(tbl_pr, "w:tblBorders", dict.fromkeys(("top", "left", "bottom", "right", "insideH", "insideV"), 4))
        return
    borders(tbl_pr, "w:tblBorders", {"top": 12, "bottom": 12})
    for cell in table.rows[0].cells:
        borders(cell._tc.get_or_add_tcPr(), "w:tcBorders", {"top": 12, "bottom": 6})


# --- HTML via Chromium ----------------------------------------------------------------------------------


def write_html_chromium(
    report: SyntheticReport,
    pdf: Path,
    *,
    excerpt: Excerpt | None = None,
    page: Path | None = None,
    timeout_s: float = 120,
) -> Path:
    """Render a report as a state-data style web page printed to PDF by Chromium, with its sidecar labels.

    Args:
        report: the generated report.
        pdf: the PDF to write (``<stem>.labels.json`` is written beside it).
        excerpt: lay out only part of the report.
        page: also keep the HTML file here.
        timeout_s: per Chromium run.

    Returns:
        ``pdf``.
    """
    layout = compose(report, HTML_FAMILIES, excerpt=excerpt)
    with tempfile.TemporaryDirectory(prefix="ciqa-html-") as tmp:
        source = Path(tmp) / f"{pdf.stem}.html"

        def render(layout: RealisticReport, out: Path, numbers: Sequence[str]) -> None:
            source.write_text(build_html(layout, numbers), "utf-8")
            html_to_pdf(source, out, timeout_s=timeout_s)

        labels = _render_with_toc(layout, pdf, _Rendering(render, Writer.HTML_CHROMIUM, restart_numbering=False))
        if page is not None:
            shutil.copyfile(source, page)
    write_realistic_labels(labels, pdf)
    return pdf


_CSS = f"""
@page {{ size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-center {{ content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font: 9pt "{CJK_WEB_FONT}"; }} }}
body {{ font-family: "{CJK_WEB_FONT}", sans-serif; font-size: 10.5pt; line-height: 1.7; color: #222; margin: 0; }}
.banner {{ border-bottom: 3px solid #1f5f9f; color: #1f5f9f; padding: 4px 0; font-size: 9pt; }}
h1.title {{ text-align: center; font-size: 20pt; margin: 40mm 0 8mm; break-before: auto; border: none; }}
.meta {{ text-align: center; font-size: 12pt; }}
nav.toc {{ break-before: page; }}
nav.toc h2 {{ text-align: center; font-size: 16pt; }}
nav.toc div {{ display: flex; white-space: nowrap; }}
nav.toc .t {{ overflow: hidden; flex: 1; }}
nav.toc .t::after {{ content: "{"." * 160}"; }}
nav.toc .lv2 {{ padding-left: 2em; }}
h1 {{ font-size: 15pt; break-before: page; border-bottom: 1px solid #1f5f9f; }}
h2 {{ font-size: 13pt; }} h3, h4, h5 {{ font-size: 11pt; }}
p {{ text-indent: 2em; margin: 0.3em 0; }}
p.bullet {{ text-indent: 0; padding-left: 1em; }}
.cols {{ column-count: 2; column-gap: 8mm; column-rule: 1px solid #ccc; }}
.cols p {{ margin-top: 0; }}
b.runin {{ font-weight: bold; }}
table {{ border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 9.5pt; }}
caption {{ font-weight: bold; padding: 2mm; }}
table.grid td, table.grid th {{ border: 1px solid #777; padding: 2px 6px; }}
table.grid th {{ background: #e9eef5; }}
table.three_line {{ border-top: 2px solid #000; border-bottom: 2px solid #000; }}
table.three_line th {{ border-bottom: 1px solid #000; padding: 3px 6px; }}
table.three_line td {{ padding: 2px 6px; text-align: center; }}
td.key {{ text-align: left; }}
tr {{ break-inside: avoid; }}
sup {{ font-size: 62%; line-height: 0; }}
.notes {{ font-size: 8.5pt; border-top: 1px solid #999; margin-top: 3mm; }}
.notes p {{ text-indent: 0; }}
"""


def build_html(layout: RealisticReport, toc_numbers: Sequence[str]) -> str:
    """The layout as one self-contained HTML page (inline CSS, no external URL).

    Args:
        layout: the composed report.
        toc_numbers: the page number printed in each TOC line.

    Returns:
        The HTML text.
    """
    esc = html.escape
    parts = [
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(layout.title)}</title>',
        f"<style>{_CSS}</style></head><body>",
        f'<div class="banner">高等教育质量监测国家数据平台 · {esc(layout.school)}</div>',
        f'<h1 class="title">{esc(layout.title)}</h1><p class="meta">{esc(layout.school)}</p>',
        f'<p class="meta">{esc(layout.date)}</p>',
        f'<nav class="toc"><h2>{TOC_TITLE}</h2>',
    ]
    for h, number in zip(layout.toc_headings(), toc_numbers, strict=True):
        parts.append(f'<div class="lv{h.level}"><span class="t">{esc(h.text)}</span><span>{esc(number)}</span></div>')
    parts.append("</nav>")
    notes: list[str] = []

    def marker(text: str) -> str:
        notes.append(text)
        return f"<sup>{len(notes)}</sup>"

    def flush_notes() -> None:
        if notes:
            items = "".join(f"<p>{k}. {esc(n)}</p>" for k, n in enumerate(notes, start=1))
            parts.append(f'<div class="notes">{items}</div>')
            notes.clear()

    def paragraph(e: LayoutParagraph) -> str:
        lead = f'<b class="runin">{esc(e.lead)}</b>' if e.run_in else ""
        note = marker(e.footnote) if e.footnote else ""
        if e.bullet:
            return f'<p class="bullet">●&nbsp;{esc(e.text)}{note}</p>'
        return f"<p>{lead}{esc(e.text)}{note}</p>"

    for e in layout.elements:
        if isinstance(e, LayoutHeading):
            if e.level == 1:
                flush_notes()
            parts.append(f"<h{e.level}>{esc(e.text)}</h{e.level}>")
        elif isinstance(e, LayoutParagraph):
            parts.append(paragraph(e))
        elif isinstance(e, TwoColumns):
            parts.append(f'<div class="cols">{"".join(paragraph(p) for p in e.paragraphs)}</div>')
        else:
            head = "".join(f"<th>{esc(c)}</th>" for c in e.header)
            rows = []
            for r, row in enumerate(e.rows):
                cells = []
                for col, value in enumerate(row):
                    note = marker(e.note.text) if e.note and (e.note.row, e.note.column) == (r, col) else ""
                    cls = ' class="key"' if col == 0 else ""
                    cells.append(f"<td{cls}>{esc(value)}{note}</td>")
                rows.append(f"<tr>{''.join(cells)}</tr>")
            parts.append(
                f'<table class="{e.rule.value}"><caption>{esc(e.title)}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            )
    flush_notes()
    parts.append("</body></html>")
    return "\n".join(parts)


# --- scanned pages ----------------------------------------------------------------------------------


def write_scanned(source: Path, pdf: Path, *, dpi: int = 150, seed: int = 0, quality: int = 60) -> Path:
    """Rasterise every page of a PDF as a slightly skewed, blurred, noisy grey scan; write an image-only PDF.

    The sidecar labels of ``source`` (if written) are copied with the writer set to scanned: the pages
    are the same, only the text layer is gone.

    Args:
        source: a rendered PDF.
        pdf: the image-only PDF to write.
        dpi: scan resolution (150–200 as office scanners default to).
        seed: seed of the skew and noise.
        quality: JPEG quality of the page images.

    Returns:
        ``pdf``.
    """
    import pypdfium2
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    source_doc = pypdfium2.PdfDocument(str(source))
    scan = pypdfium2.PdfDocument.new()
    try:
        if len(source_doc) == 0:
            raise RenderError(f"PDF 没有页面：{source.name}")
        for page in source_doc:
            width, height = page.get_size()
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            image = image.rotate(rng.uniform(-1.2, 1.2), resample=Image.Resampling.BICUBIC, fillcolor=255)
            image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.8)))
            noise = Image.frombytes("L", image.size, rng.randbytes(image.size[0] * image.size[1]))
            # Grain over ink and edges, then the scanner's background removal: near-white becomes white.
            image = Image.blend(image, noise.filter(ImageFilter.GaussianBlur(0.6)), 0.06)
            image = image.point(lambda v: 255 if v >= _SCAN_WHITE else min(255, int(v * 0.96) + 6))
            jpeg = io.BytesIO()
            image.save(jpeg, "JPEG", quality=quality, optimize=True)
            jpeg.seek(0)
            # The JPEG is embedded as it is (DCTDecode), as scanners write their PDFs.
            target = scan.new_page(width, height)
            picture = pypdfium2.PdfImage.new(scan)
            picture.load_jpeg(jpeg, pages=[target])
            picture.set_matrix(pypdfium2.PdfMatrix().scale(width, height))
            target.insert_obj(picture)
            target.gen_content()
        scan.save(str(pdf))
    finally:
        scan.close()
        source_doc.close()
    sidecar = source.with_suffix(".labels.json")
    if sidecar.is_file():
        labels = load_realistic_labels(sidecar)
        write_realistic_labels(labels.model_copy(update={"writer": Writer.SCANNED}), pdf)
    return pdf


# --- corpora ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealisticFile:
    """One rendered report: its PDF and sidecar labels."""

    report_id: str
    school: str
    writer: Writer
    pdf: Path
    labels_path: Path


def render_pdf(report: SyntheticReport, pdf: Path, writer: Writer, *, seed: int = 0) -> Path:
    """Render one report with a realistic writer (a scan is made from the Chromium rendering).

    Args:
        report: the generated report.
        pdf: target file (sidecar labels are written beside it).
        writer: which writer renders it.
        seed: noise seed of a scan.

    Returns:
        The PDF path.
    """
    if writer is Writer.DOCX_LIBREOFFICE:
        return write_docx_libreoffice(report, pdf, docx=pdf.with_suffix(".docx"))
    if writer is Writer.HTML_CHROMIUM:
        return write_html_chromium(report, pdf)
    with tempfile.TemporaryDirectory(prefix="ciqa-scan-") as tmp:
        printed = write_html_chromium(report, Path(tmp) / f"{pdf.stem}.pdf")
        return write_scanned(printed, pdf, seed=seed)


def generate_realistic_corpus(out_dir: Path, *, n: int, pages: int, seed: int, writer: Writer) -> list[RealisticFile]:
    """Generate ``n`` reports rendered by one realistic writer (a scan is made from the Chromium rendering).

    Args:
        out_dir: target directory (created).
        n: number of reports.
        pages: target pages of the generator (the rendering adds cover, TOC and data pages).
        seed: seed of the first report; the others use seed+1, seed+2, ….
        writer: which writer renders them.

    Returns:
        The files per report.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(n):
        report = generate_report(seed + i, pages=pages)
        rid = report.labels.report_id
        pdf = render_pdf(report, out_dir / f"{rid}.{writer.value}.pdf", writer, seed=seed + i)
        written.append(RealisticFile(rid, report.labels.school, writer, pdf, pdf.with_suffix(".labels.json")))
    return written
