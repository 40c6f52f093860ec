"""OCR layout: tables, multi-line cells and reading order rebuilt from RapidOCR's boxes.

Three kinds of material:

* boxes placed by hand (no engine): the geometry rules one by one;
* synthetic scans drawn with Pillow in a CJK font (a key–value table with a grid, a three-line matrix table
  with a single digit, a dash and a slash, numbered headings), slightly rotated and speckled: exact rows;
* pages of the real reports in ``../shared/real-docs`` rendered to images and wrapped into an image-only
  PDF at test time: the tables OCR rebuilds must agree cell by cell (value, row and column) with the
  tables of the same pages' text layer.
"""

from __future__ import annotations

import io
import os
import re
import statistics
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from indexing.models import BlockKind, TextSource
from indexing.options import ParseOptions
from indexing.parsing import ocr
from indexing.parsing.ocr import OcrLine, layout_page
from indexing.parsing.pdf import parse_pdf
from tests.indexing.parsing.pdf_factory import WQY_FONT_PATH, has_cjk_font, images_pdf

REAL_DOCS = Path(__file__).resolve().parents[3].parent / "shared" / "real-docs"
# Pages holding key–value and matrix tables (1-based page numbers of the PDF files).
REAL_PAGES = (
    ("wit-2023-employment-quality-report.pdf", 42),
    ("wit-2023-employment-quality-report.pdf", 43),
    ("xvtc-2023-employment-quality-report.pdf", 11),
    ("xvtc-2023-employment-quality-report.pdf", 19),
    ("xvtc-2023-employment-quality-report.pdf", 29),
)
DPI = 150

needs_font = pytest.mark.skipif(not has_cjk_font(), reason="fonts-wqy-zenhei is not installed")


def norm(cell: str) -> str:
    """Cells compared without width variants (（ vs () or spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell))


def box(text: str, x0: float, top: float, *, em: float = 20.0, h: float = 28.0, conf: float = 0.98) -> OcrLine:
    """A recognised box as RapidOCR returns it: CJK characters 1 em wide, others ½ em."""
    width = sum(em if ord(c) > 0x2E80 else em / 2 for c in text)
    return OcrLine(text, (x0, top, x0 + width, top + h), conf)


def right(text: str, x1: float, top: float, **kw) -> OcrLine:
    """A box ending at ``x1`` (right-aligned numbers)."""
    b = box(text, 0, top, **kw)
    w = b.box[2]
    return OcrLine(text, (x1 - w, top, x1, top + b.box[3] - b.box[1]), b.confidence)


# --- geometry only ----------------------------------------------------------------------------------


def test_key_value_boxes_become_table_rows_and_columns():
    rows = [("全日制在校生数", "26311"), ("本科生占全日制在校生总数的比例（%）", "66.70"), ("生师比", "18.46")]
    boxes = [box("表1 学校基本数据", 400, 60)]
    for k, (key, value) in enumerate(rows):
        boxes += [box(key, 100, 100 + 32 * k), right(value, 1000, 101 + 32 * k)]
    boxes.append(box("以上数据来源于学校质量报告，统计时间截至当年九月。", 100, 220))
    page = layout_page(boxes)
    assert [t.rows for t in page.tables] == [tuple(rows)]
    assert [ln.text for ln in page.lines] == ["表1 学校基本数据", "以上数据来源于学校质量报告，统计时间截至当年九月。"]
    table = page.tables[0]
    assert table.top == 100 and table.bottom == 100 + 32 * 2 + 29 and 0.97 < table.confidence <= 0.98


def test_boxes_are_placed_in_points_and_empty_cells_kept():
    boxes = [box("指标", 100, 100), box("2022年", 400, 100), box("2023年", 600, 100)]
    boxes += [box("专任教师数", 100, 132), right("1650", 460, 133), right("1732", 660, 133)]
    boxes += [box("外聘教师数", 100, 164), right("212", 660, 165)]
    page = layout_page(boxes, scale=2.0, page=7)
    (table,) = page.tables
    assert table.rows == (("指标", "2022年", "2023年"), ("专任教师数", "1650", "1732"), ("外聘教师数", "", "212"))
    assert (table.x0, table.top, table.page) == (50, 50, 7)


def test_a_cell_cut_in_two_by_the_detector_stays_one_cell():
    boxes = []
    for k, (key, value) in enumerate([("学校名称", "某某大学"), ("所在地", "某省某市"), ("举办者", "某省人民政府")]):
        boxes += [box(key, 100, 100 + 32 * k), box(value, 500, 100 + 32 * k)]
    # "Science and Technology Park" cut at its spaces: three boxes of one cell, gaps of half a character.
    boxes += [box("科技园", 500, 196), box("Science", 570, 196), box("Park", 650, 196), box("校区", 100, 196)]
    (table,) = layout_page(boxes).tables
    assert table.rows[-1] == ("校区", "科技园Science Park")
    assert all(len(r) == 2 for r in table.rows)


def test_lines_of_a_multi_line_cell_join_their_row():
    boxes = [box("项目", 100, 100), box("数值", 600, 100)]
    # A two-line label whose value is centred between its lines (a row of its own for the detector).
    boxes += [box("本科生占全日制在校生", 100, 132), box("总数的比例（%）", 100, 156), right("66.70", 700, 144)]
    # A wrapped label with its value on the first line.
    boxes += [box("生均教学科研仪器设备值", 100, 196), right("1.53", 700, 196), box("（万元）", 100, 220)]
    boxes += [box("生师比", 100, 260), right("18.46", 700, 260)]
    (table,) = layout_page(boxes).tables
    assert table.rows == (
        ("项目", "数值"),
        ("本科生占全日制在校生总数的比例（%）", "66.70"),
        ("生均教学科研仪器设备值（万元）", "1.53"),
        ("生师比", "18.46"),
    )


def test_a_total_row_centred_across_columns_goes_into_the_first_column():
    boxes = [box("学院", 120, 100), box("专业", 360, 100), box("人数", 620, 100)]
    for k, (school, major, n) in enumerate([("化工学院", "化学工程", "274"), ("", "制药工程", "100")]):
        top = 132 + 32 * k
        if school:
            boxes.append(box(school, 100, top))
        boxes += [box(major, 340, top), right(n, 680, top)]
    boxes += [box("合计", 280, 196), right("374", 680, 196)]  # centred over the first two columns
    (table,) = layout_page(boxes).tables
    assert table.rows == (
        ("学院", "专业", "人数"),
        ("化工学院", "化学工程", "274"),
        ("", "制药工程", "100"),
        ("合计", "", "374"),
    )


def test_two_columns_of_running_text_are_read_column_by_column_not_as_a_table():
    left = [f"左栏第{k}行的正文内容，共有十几个字。" for k in range(8)]
    right_col = [f"右栏第{k}行的正文内容，也有十几个字。" for k in range(8)]
    boxes = [box("一、学校概况", 100, 60)]
    for k in range(8):
        boxes += [box(left[k], 100, 100 + 34 * k, em=18), box(right_col[k], 640, 100 + 34 * k, em=18)]
    page = layout_page(boxes, width=1240)
    assert page.tables == []
    assert [ln.text for ln in page.lines] == ["一、学校概况", *left, *right_col]
    assert all(ln.source is TextSource.OCR and ln.confidence == 0.98 for ln in page.lines)


def test_a_table_of_contents_is_kept_as_lines_not_a_table():
    entries = [("一、学校概况", "1"), ("二、本科教育", "3"), ("三、教学成效", "8"), ("四、问题与改进", "12")]
    boxes = []
    for k, (title, number) in enumerate(entries):
        boxes += [box(title, 100, 100 + 32 * k), right(number, 1000, 100 + 32 * k)]
    page = layout_page(boxes)
    assert page.tables == []
    assert [(ln.text, ln.toc) for ln in page.lines] == [(f"{t} {n}", True) for t, n in entries]


def test_chart_axis_labels_above_a_chart_data_table_are_not_table_rows():
    boxes = []
    for k, (left_tick, right_tick) in enumerate([("6000", "100%"), ("4000", "60%"), ("2000", "20%")]):
        boxes += [right(left_tick, 200, 100 + 50 * k), box(right_tick, 900, 100 + 50 * k)]
    boxes += [box("2021届", 300, 250), box("2022届", 500, 250), box("2023届", 700, 250)]
    boxes += [box("毕业生人数", 60, 282), box("4727", 320, 282), box("4693", 520, 282), box("4813", 720, 282)]
    boxes += [box("落实人数", 60, 314), box("4432", 320, 314), box("4538", 520, 314), box("4655", 720, 314)]
    page = layout_page(boxes)
    assert [t.rows for t in page.tables] == [
        (
            ("", "2021届", "2022届", "2023届"),
            ("毕业生人数", "4727", "4693", "4813"),
            ("落实人数", "4432", "4538", "4655"),
        )
    ]
    assert [ln.text for ln in page.lines] == ["6000 100%", "4000 60%", "2000 20%"]


def test_empty_cells_are_read_by_the_cell_reader_and_only_those():
    boxes = [box("分类", 100, 100), box("本科", 400, 100), box("研究生", 600, 100)]
    boxes += [box("选调生", 100, 132), box("7", 410, 132), box("8", 610, 132)]
    boxes += [box("应征义务兵", 100, 164), box("28", 410, 164)]
    asked = []

    def read(region, em):
        asked.append(region)
        return OcrLine("-", (region[0] + 5, region[1] + 10, region[0] + 15, region[1] + 12), 0.9)

    (table,) = layout_page(boxes, read_cell=read).tables
    assert table.rows[-1] == ("应征义务兵", "28", "-")
    assert len(asked) == 1 and asked[0][1] == 164 and asked[0][0] >= 600


def test_table_of_contents_lines_get_back_their_page_numbers_from_the_image():
    boxes = [box("一、学校概况......", 100, 100), right("12", 1000, 132), box("二、本科教育....", 100, 132)]
    boxes.append(box("三、教学成效......", 100, 164))
    asked = []

    def read(region, em):
        asked.append(region)
        return OcrLine("..8", (region[2] - 30, region[1] + 4, region[2] - 20, region[3] - 4), 0.99)

    page = layout_page(boxes, read_cell=read)
    assert [(ln.text, ln.toc) for ln in page.lines] == [
        ("一、学校概况...... 8", True),
        ("二、本科教育.... 12", True),
        ("三、教学成效...... 8", True),
    ]
    assert len(asked) == 2 and all(r[2] > 1000 and r[0] < 1000 for r in asked)


# --- with the engine: synthetic scans ---------------------------------------------------------------


KEY_VALUE = (
    ("全日制在校生数", "26311"),
    ("本科生占全日制在校生总数的比例（%）", "66.70"),
    ("生师比", "18.46"),
    ("专任教师数", "1732"),
)
MATRIX = (
    ("指标", "2021届", "2022届", "2023届"),
    ("毕业生人数", "4727", "4693", "4813"),
    ("毕业去向落实率（%）", "93.76", "96.70", "96.72"),
    ("自主创业人数", "1", "—", "/"),
)
PARAGRAPH = (
    "学校坚持立德树人根本任务，深入推进本科教育教学改革，办学条件持续改善。"
    "主要办学指标如下表所示，数据统计截至当年九月三十日。"
)


def synthetic_scan(*, angle: float = 0.0, seed: int = 0):
    """An A4 page at 150 dpi: numbered headings, a paragraph, a gridded key–value table and a
    three-line matrix table (rules above and below the header and at the bottom only) with a single
    digit, a dash and a slash in its last row."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    scale = DPI / 72
    img = Image.new("L", (int(595.28 * scale), int(841.89 * scale)), 255)
    draw = ImageDraw.Draw(img)
    body = ImageFont.truetype(str(WQY_FONT_PATH), int(12 * scale))
    big = ImageFont.truetype(str(WQY_FONT_PATH), int(16 * scale))
    y = 150
    draw.text((150, y), "一、基本办学条件", font=big, fill=0)
    y += 80
    line, x = "", 150 + 2 * body.size  # wrapped at the right margin, first line indented two characters
    for ch in PARAGRAPH:
        if x + draw.textlength(line + ch, font=body) > 1090:
            draw.text((x, y), line, font=body, fill=0)
            line, x, y = "", 150, y + 45
        line += ch
    draw.text((x, y), line, font=body, fill=0)
    y += 100
    xs = (150, 820, 1090)
    row_h = 56
    for k, (key, value) in enumerate(KEY_VALUE):
        top = y + k * row_h
        draw.text((xs[0] + 14, top + 14), key, font=body, fill=0)
        w = draw.textlength(value, font=body)
        draw.text(((xs[1] + xs[2] - w) / 2, top + 14), value, font=body, fill=0)
    for k in range(len(KEY_VALUE) + 1):
        draw.line((xs[0], y + k * row_h, xs[-1], y + k * row_h), fill=0, width=2)
    for x in xs:
        draw.line((x, y, x, y + len(KEY_VALUE) * row_h), fill=0, width=2)
    y += len(KEY_VALUE) * row_h + 80
    draw.text((150, y), "（一）毕业生就业情况", font=big, fill=0)
    y += 90
    cols = (150, 500, 700, 900, 1090)
    draw.line((cols[0], y - 8, cols[-1], y - 8), fill=0, width=3)
    for k, row in enumerate(MATRIX):
        top = y + k * row_h
        for j, cell in enumerate(row):
            w = draw.textlength(cell, font=body)
            x = cols[0] + 14 if j == 0 else (cols[j] + cols[j + 1] - w) / 2
            draw.text((x, top + 10), cell, font=body, fill=0)
        if k == 0:
            draw.line((cols[0], top + row_h - 6, cols[-1], top + row_h - 6), fill=0, width=2)
    draw.line((cols[0], y + len(MATRIX) * row_h, cols[-1], y + len(MATRIX) * row_h), fill=0, width=3)
    if angle:
        img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if seed:
        rng = np.random.default_rng(seed)
        pixels = np.asarray(img).copy()
        specks = rng.random(pixels.shape) < 0.002
        pixels[specks] = rng.integers(0, 160, int(specks.sum()))
        img = Image.fromarray(pixels)
    return img


@pytest.fixture(scope="module")
def engine():
    """One RapidOCR engine for the module, loaded and warmed up before any timing."""
    if not has_cjk_font():
        pytest.skip("fonts-wqy-zenhei is not installed")
    eng = ocr.engine()
    ocr.recognize(__import__("numpy").asarray(synthetic_scan().crop((100, 100, 900, 300))))
    return eng


@pytest.mark.slow
@needs_font
@pytest.mark.parametrize(("angle", "seed"), [(0.0, 0), (0.4, 3)], ids=["clean", "rotated-and-speckled"])
def test_scanned_tables_come_back_with_exact_rows_and_numbered_headings(engine, angle, seed):
    data = images_pdf([synthetic_scan(angle=angle, seed=seed)], dpi=DPI)
    doc = parse_pdf(data, doc_id="s", name="scan.pdf", options=ParseOptions())
    tables = [b for b in doc.blocks if b.kind is BlockKind.TABLE]
    assert [tuple(tuple(norm(c) for c in r) for r in t.rows) for t in tables] == [
        tuple(tuple(norm(c) for c in r) for r in KEY_VALUE),
        tuple(tuple(norm(c) for c in r) for r in MATRIX),
    ]
    assert tables[0].text.splitlines()[0].replace(" ", "") == "全日制在校生数|26311"
    headings = [b for b in doc.blocks if b.kind is BlockKind.HEADING]
    assert [norm(h.text) for h in headings] == [norm("一、基本办学条件"), norm("（一）毕业生就业情况")]
    assert tables[1].heading_path == tuple(h.text for h in headings)
    paragraphs = [b for b in doc.blocks if b.kind is BlockKind.PARAGRAPH]
    assert [norm(p.text) for p in paragraphs] == [norm(PARAGRAPH)]
    for b in doc.blocks:
        assert b.source is TextSource.OCR and b.page == 1
        assert b.ocr_confidence is not None and 0.8 <= b.ocr_confidence <= 1.0


@pytest.mark.slow
@needs_font
def test_cell_reader_reads_small_digits_and_marks_and_ignores_rules_and_blank_cells(engine):
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (700, 60), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(WQY_FONT_PATH), 19)  # 9 pt at 150 dpi
    for x in (0, 100, 200, 300, 400, 500, 600):
        draw.line((x, 5, x, 55), fill=90, width=2)  # grey cell borders
    for x, mark in ((140, "1"), (240, "—"), (340, "/"), (440, "-"), (530, "66.70")):
        draw.text((x, 20), mark, font=font, fill=0)
    read = ocr.cell_reader(np.asarray(img))
    got = [read((x + 2, 5, x + 98, 55), 19.0) for x in (100, 200, 300, 400, 500, 600)]
    assert [g.text if g else None for g in got] == ["1", "—", "/", "-", "66.70", None]
    assert got[0].box[0] >= 140 and got[0].box[2] <= 152


# --- with the engine: scanned pages of the real reports ---------------------------------------------


def cell_agreement(truth: tuple[tuple[str, ...], ...], got: tuple[tuple[str, ...], ...]) -> tuple[int, int]:
    """Cells of ``truth`` found in ``got`` at the same place: ``(agreeing, non-empty truth cells)``.

    Rows are matched in order (most common cells); a truth column maps to the ``got`` column most of its
    matched cells sit in, so that sliver columns of a text-layer table do not count against OCR. A cell
    agrees when its matched row holds the same text (width variants aside) in the mapped column.
    """
    t = [[norm(c) for c in r] for r in truth]
    g = [[norm(c) for c in r] for r in got]

    def common(a: list[str], b: list[str]) -> int:
        a, b = [c for c in a if c], [c for c in b if c]
        d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i in range(len(a) - 1, -1, -1):
            for j in range(len(b) - 1, -1, -1):
                d[i][j] = d[i + 1][j + 1] + 1 if a[i] == b[j] else max(d[i + 1][j], d[i][j + 1])
        return d[0][0]

    n, m = len(t), len(g)
    score = [[common(t[i], g[j]) for j in range(m)] for i in range(n)]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = score[i][j] + best[i + 1][j + 1] if score[i][j] else 0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], take)
    pairs: dict[int, int] = {}
    i = j = 0
    while i < n and j < m:
        if score[i][j] and best[i][j] == score[i][j] + best[i + 1][j + 1]:
            pairs[i] = j
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    votes: dict[int, Counter[int]] = {}
    for i, j in pairs.items():
        for a, cell in enumerate(t[i]):
            for b, other in enumerate(g[j]):
                if cell and cell == other:
                    votes.setdefault(a, Counter())[b] += 1
    column = {a: v.most_common(1)[0][0] for a, v in votes.items()}
    agree = sum(
        1
        for i, r in enumerate(t)
        for a, cell in enumerate(r)
        if cell and i in pairs and a in column and g[pairs[i]][column[a]] == cell
    )
    return agree, sum(1 for r in t for c in r if c)


def real_docs_or_skip() -> Path:
    if REAL_DOCS.is_dir():
        return REAL_DOCS
    if os.environ.get("CI") == "true":
        pytest.fail(f"{REAL_DOCS} is missing: the real documents are needed in CI")
    pytest.skip(f"{REAL_DOCS} is not present (real documents are kept outside the repository)")


def page_pdf(path: Path, number: int) -> tuple[bytes, bytes]:
    """One page of a PDF as a text PDF and as an image-only "scan" of it at 150 dpi."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(path)
    try:
        one = pdfium.PdfDocument.new()
        one.import_pages(src, [number - 1])
        buf = io.BytesIO()
        one.save(buf)
        image = src[number - 1].render(scale=DPI / 72).to_pil()
    finally:
        src.close()
    return buf.getvalue(), images_pdf([image], dpi=DPI)


@pytest.mark.slow
def test_scanned_real_pages_give_the_text_layer_tables_cell_by_cell(engine):
    docs = real_docs_or_skip()
    agree = total = 0
    seconds = []
    report = []
    for name, number in REAL_PAGES:
        text_data, scan_data = page_pdf(docs / name, number)
        truth = parse_pdf(text_data, doc_id="t", name=name, options=ParseOptions(ocr=False))
        start = time.perf_counter()
        scan = parse_pdf(scan_data, doc_id="s", name=name, options=ParseOptions())
        seconds.append(time.perf_counter() - start)
        ocr_tables = [b for b in scan.blocks if b.kind is BlockKind.TABLE]
        assert ocr_tables and all(b.source is TextSource.OCR and b.ocr_confidence >= 0.9 for b in ocr_tables)
        for table in (b for b in truth.blocks if b.kind is BlockKind.TABLE):
            ok, n = max((cell_agreement(table.rows, o.rows) for o in ocr_tables), key=lambda r: r[0])
            report.append(f"{name[:4]} p{number}: {ok}/{n}")
            assert ok >= 0.9 * n, report[-1]
            agree, total = agree + ok, total + n
    print(f"\ncell agreement {agree}/{total} = {agree / total:.3f} ({', '.join(report)})")
    print(f"seconds per scanned page: median {statistics.median(seconds):.2f}, {[round(s, 2) for s in seconds]}")
    assert agree >= 0.97 * total
    assert statistics.median(seconds) < 30  # ~3 s on an idle 2-core machine; generous for loaded runners
