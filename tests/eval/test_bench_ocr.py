"""`ciqa bench ocr`: a scanned report read page after page and in parallel processes, timed, the same document."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest

from eval.bench_ingest import run_ocr_bench
from indexing.parsing import ocr

SCANNED = Path(__file__).resolve().parents[1] / "files" / "realistic" / "scanned.pdf"


@pytest.mark.slow
def test_ocr_bench_times_both_ways_and_finds_the_same_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = pypdfium2.PdfDocument(str(SCANNED))
    two = pypdfium2.PdfDocument.new()
    two.import_pages(source, [2, 3])  # body pages (the first two are the cover and the TOC)
    two.save(str(tmp_path / "two.pdf"))
    two.close()
    source.close()
    monkeypatch.setattr(ocr, "available_cores", lambda: 2)  # two processes even on a one-core runner

    result = run_ocr_bench(tmp_path / "two.pdf")

    assert result.pages == 2 and result.characters > 200
    assert (result.serial.workers, result.serial.threads) == (1, 2)
    assert (result.parallel.workers, result.parallel.threads) == (2, 1)
    assert result.same_document
    for run in (result.serial, result.parallel):
        assert run.pages_per_second == pytest.approx(2 / run.seconds)
        assert run.peak_rss_mb > 100  # this process with the OCR models loaded
    # The pool's processes hold their own models: sampled with this process, the parallel run holds more.
    assert result.parallel.peak_rss_mb > result.serial.peak_rss_mb
