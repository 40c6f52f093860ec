"""OCR of a scanned PDF's pages in parallel processes: the same document as one page after another, in page
order, failures kept per page, from a daemonic process too, and no process left behind when the parent dies."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import billiard.process
import pytest

from indexing.options import ParseOptions
from indexing.parsing import ocr, parse_path
from indexing.parsing.ocr import OcrFailure, OcrPage, read_pdf_pages, worker_count

REPO = Path(__file__).resolve().parents[3]
SCANNED = REPO / "tests" / "files" / "realistic" / "scanned.pdf"


@pytest.mark.slow
def test_a_scanned_document_read_in_parallel_is_the_document_read_page_by_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    serial = parse_path(SCANNED, ParseOptions(ocr_workers=1))
    pools: list[int] = []
    pooled = ocr.read_pdf_pages

    def spy(data: bytes, numbers: list[int], *, dpi: int, workers: int) -> list[OcrPage | OcrFailure]:
        pools.append(workers)
        return pooled(data, numbers, dpi=dpi, workers=workers)

    monkeypatch.setattr(ocr, "read_pdf_pages", spy)
    # Two processes even on a one-core runner: the pool is what is compared.
    monkeypatch.setattr(ocr, "available_cores", lambda: 2)
    parallel = parse_path(SCANNED, ParseOptions(ocr_workers=0))

    assert pools == [2]
    assert serial.page_count == 4 and len(serial.blocks) > 10
    assert parallel.blocks == serial.blocks
    assert parallel.pages == serial.pages and parallel.toc == serial.toc and parallel.warnings == serial.warnings


@pytest.mark.slow
def test_pages_come_back_in_the_order_asked_with_a_failed_page_in_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a Celery prefork pool process: daemonic (multiprocessing refuses it children), with billiard's key
    # (which multiprocessing refuses to pickle into a spawned child).
    config = multiprocessing.current_process()._config
    key = billiard.process.AuthenticationString(config["authkey"])
    monkeypatch.setitem(config, "daemon", True)
    monkeypatch.setitem(config, "authkey", key)
    data = SCANNED.read_bytes()

    results = read_pdf_pages(data, [3, 99, 1], dpi=150, workers=2)

    assert config["daemon"] is True and config["authkey"] is key
    first, failed, last = results
    assert isinstance(first, OcrPage) and isinstance(last, OcrPage)
    assert {ln.page for ln in first.lines} == {3} and {ln.page for ln in last.lines} == {1}
    assert first.lines and last.lines
    assert isinstance(failed, OcrFailure) and failed.page == 99 and failed.error.startswith("PdfiumError")


def test_workers_are_one_per_core_at_most_and_never_more_than_the_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "available_cores", lambda: 4)
    assert worker_count(0, 20) == 4
    assert worker_count(0, 3) == 3
    assert worker_count(2, 20) == 2
    assert worker_count(8, 20) == 4
    assert worker_count(0, 1) == 1


WATCHED_POOL = """
import os, signal, sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from indexing.parsing import ocr

if __name__ == "__main__":
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=ocr._exit_with_parent)
    print(pool.submit(os.getpid).result(), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_pool_process_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    """A parent killed mid-parse never shuts its pool down; the processes must not wait for pages forever."""
    script = tmp_path / "pool.py"
    script.write_text(WATCHED_POOL, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    """True while the process runs (a zombie, already ended but not yet reaped by init, counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
