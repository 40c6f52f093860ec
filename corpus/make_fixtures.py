"""Regenerate the committed realistic PDF fixtures (``tests/files/realistic/``).

LibreOffice and Chromium are heavy to install, so small renderings are committed for tests and for
development on machines without them. Run from the repository root::

    .venv/bin/python -m corpus.make_fixtures

Writes, each with its sidecar ``.labels.json``:

* ``docx-libreoffice.pdf`` (and the ``.docx`` it was converted from): Word via LibreOffice headless;
* ``html-chromium.pdf``: a web page printed by headless Chromium;
* ``scanned.pdf``: a shorter Chromium rendering (学校概况 only) scanned into an image-only PDF.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from corpus.generator import generate_report
from corpus.office import write_docx_libreoffice, write_html_chromium, write_scanned
from corpus.realistic import Excerpt

FIXTURES = Path("tests/files/realistic")
SEED = 2
DOCX_EXCERPT = Excerpt(chapters=1, sections=2)
HTML_EXCERPT = Excerpt(chapters=1, sections=2)
SCAN_EXCERPT = Excerpt(chapters=0)


def make_fixtures(out: Path) -> dict[str, float]:
    """Render the three fixtures into ``out``.

    Args:
        out: target directory (created).

    Returns:
        Seconds each writer took, by file name.
    """
    out.mkdir(parents=True, exist_ok=True)
    report = generate_report(SEED, pages=30)
    seconds = {}
    start = time.perf_counter()
    write_docx_libreoffice(
        report, out / "docx-libreoffice.pdf", excerpt=DOCX_EXCERPT, docx=out / "docx-libreoffice.docx"
    )
    seconds["docx-libreoffice.pdf"] = time.perf_counter() - start
    start = time.perf_counter()
    write_html_chromium(report, out / "html-chromium.pdf", excerpt=HTML_EXCERPT)
    seconds["html-chromium.pdf"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="ciqa-fixture-") as tmp:
        printed = write_html_chromium(report, Path(tmp) / "printed.pdf", excerpt=SCAN_EXCERPT)
        start = time.perf_counter()
        write_scanned(printed, out / "scanned.pdf", seed=SEED)
        seconds["scanned.pdf"] = time.perf_counter() - start
    return seconds


def main() -> None:
    """Command line: ``python -m corpus.make_fixtures [--out DIR]``."""
    parser = argparse.ArgumentParser(description="重新生成 tests/files/realistic/ 中的真实排版 PDF 样例")
    parser.add_argument("--out", type=Path, default=FIXTURES, help="输出目录")
    args = parser.parse_args()
    for name, took in make_fixtures(args.out).items():
        size = (args.out / name).stat().st_size
        print(f"{name}: {size / 1024:.0f} KB, {took:.1f} s")


if __name__ == "__main__":
    main()
