"""Service benchmark (`ciqa bench service`): the API and workers as real processes, measured over HTTP on loopback.

Three measurements, printed as tables and saved to ``eval/results/bench_service.json``:

* **Embedded default**: what ``ciqa serve`` runs on one machine, the API (uvicorn) and one worker
  subprocess on a temporary ``var/`` with SQLite and the SQLite broker. A university user uploads a
  100-page synthetic report through the API; the ingest job is polled, a review (rubric
  ``audit-2021-type2``, extractive drafter) is requested and polled; upload → ingest done and
  upload → review ready are reported in seconds.
* **Deployment throughput**: the same API with 1, then 2 workers (one process each) on PostgreSQL (a
  fresh database per run, dropped afterwards) and Redis (a queue of its own on database 15). A batch
  of reports is uploaded at once and each is reviewed as soon as its ingest is done; reports/min is
  the batch size over the time from the first upload to the last review ready. Embedding dominates
  (about 2 chunks/s on 2 CPU cores), so the batch uses small reports: 10 target pages by default,
  while the generator renders at least about 17 pages (every topic once); the pages actually ingested
  are reported. Each run has its own ``var/``, so no run is sped up by another's embedding cache.
* **API read latency**: C concurrent clients (asyncio, one keep-alive connection each) send N requests
  in total to the embedded API, for each of four reads of the 100-page report's review: the overview
  ``GET /api/reviews/{id}`` accepting gzip (as browsers and httpx ask); the same without gzip; the same with
  the ETag of the last answer in If-None-Match (a browser revalidating its copy: 304, no body); and one
  indicator's evidence ``GET /api/assessments/{id}`` accepting gzip. p50, p95 and max latency, requests/s and
  the bytes sent per read.

Child processes run in their own process groups and are stopped (SIGTERM, then SIGKILL) at the end;
temporary databases, queues and directories are removed, also on Ctrl-C. The client, the API and the
workers share the machine's cores, so the figures depend on the machine and on whatever else runs;
nothing here asserts them.

Example:
    >>> stats = latency_stats([0.010, 0.020, 0.030], wall_s=0.5)
    >>> stats.p50_ms, stats.requests_per_s
    (20.0, 6.0)
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import redis
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from backend.auth.accounts import create_account
from backend.config import Settings
from backend.db.models import Role
from backend.db.queries import institutions
from backend.db.session import session_scope, upgrade
from backend.domain.enums import InstitutionType
from backend.serve import API_FACTORY
from corpus.generator import generate_report
from corpus.writers import write_pdf
from eval.metrics import percentile

REPO = Path(__file__).resolve().parent.parent
RUBRIC_ID = "audit-2021-type2"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
# A database number of its own, so the benchmark's queue keys never meet the tests' (db 0).
REDIS_URL = "redis://127.0.0.1:6379/15"
PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log"
)
STOP_TIMEOUT_S = 30.0
# The uncounted warm-up before each read load: a tenth of its requests, at least 100.
WARM_UP_DIVISOR = 10
READY_TIMEOUT_S = 180.0
REPORT_SEED = 7100


@dataclass(frozen=True)
class LatencyStats:
    """Latency and rate of a request loop; ``errors`` counts non-200 answers and failed requests."""

    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    requests_per_s: float


def latency_stats(latencies_s: Sequence[float], *, wall_s: float, errors: int = 0) -> LatencyStats:
    """Summarise per-request latencies (seconds) measured over ``wall_s`` seconds of wall-clock time.

    Args:
        latencies_s: one latency per request, in seconds.
        wall_s: how long the whole loop took.
        errors: how many of the requests failed.

    Returns:
        Percentiles in milliseconds and the request rate.
    """
    ms = [x * 1000 for x in latencies_s]
    return LatencyStats(
        requests=len(ms),
        errors=errors,
        p50_ms=round(percentile(ms, 50), 3),
        p95_ms=round(percentile(ms, 95), 3),
        max_ms=round(max(ms), 3) if ms else float("nan"),
        requests_per_s=round(len(ms) / wall_s, 3) if wall_s > 0 else float("nan"),
    )


def reports_per_minute(reports: int, seconds: float) -> float:
    """Throughput of a batch: ``reports`` finished in ``seconds``.

    Example:
        >>> reports_per_minute(20, 600.0)
        2.0
    """
    return reports * 60 / seconds if seconds > 0 else float("nan")


class _Connection:
    """One keep-alive HTTP/1.1 connection that sends a prepared GET and reads the answer's status and body.

    The load generator shares the cores with the server, so it is kept lean (a few dozen microseconds of CPU per
    request, like wrk): with httpx the client itself took about a third of the CPU and its own overhead showed up
    as server latency.
    """

    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> int:
        """Send the request (connecting first if needed); the answer's status, its body read and dropped."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.request)
        head = (await self.reader.readuntil(b"\r\n\r\n")).lower()
        status = int(head[9:12])
        if b"transfer-encoding: chunked" in head:
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        elif (at := head.find(b"content-length:")) >= 0:
            await self.reader.readexactly(int(head[at + 15 : head.index(b"\r\n", at)]))
        if b"connection: close" in head:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _read_load(url: str, headers: Mapping[str, str], clients: int, requests: int, expect: int) -> LatencyStats:
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    parsed = httpx.URL(url)
    lines = [f"GET {parsed.raw_path.decode()} HTTP/1.1", f"Host: {parsed.host}:{parsed.port}"]
    request = "\r\n".join(lines + [f"{k}: {v}" for k, v in headers.items()] + ["", ""]).encode()

    async def client() -> None:
        nonlocal errors
        connection = _Connection(parsed.host, parsed.port or 80, request)
        try:
            while next(counter) < requests:
                started = time.perf_counter()
                try:
                    ok = await connection.get() == expect
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                    connection.close()
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return latency_stats(latencies, wall_s=time.perf_counter() - started, errors=errors)


def read_load(url: str, headers: Mapping[str, str], *, clients: int, requests: int, expect: int = 200) -> LatencyStats:
    """GET ``url`` ``requests`` times in total from ``clients`` concurrent clients, one connection each.

    Args:
        url: the loopback URL to read.
        headers: sent with every request (the bearer token, an If-None-Match).
        clients: concurrent clients.
        requests: total requests (the loop is bounded by it).
        expect: the status of a good answer (304 for a revalidation); any other counts as an error.

    Returns:
        The latency statistics.
    """
    # The client's own collector pauses would stall its event loop and count as server latency: the heap the
    # benchmark built before (generated reports, parsed documents) is frozen for the length of the load.
    gc.collect()
    gc.freeze()
    try:
        return asyncio.run(_read_load(url, headers, clients, requests, expect))
    finally:
        gc.unfreeze()


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Child processes, each in its own process group (with its pool children), stopped together."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: Sequence[str], env: Mapping[str, str]) -> Path:
        """Start a process with its output in ``<log_dir>/<name>.log``; returns the log path."""
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                list(args), cwd=REPO, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started.append((name, proc))
        return log

    def check(self) -> None:
        """Raise if a process has exited (with the end of its log)."""
        for name, proc in self.started:
            if proc.poll() is not None:
                tail = (self.log_dir / f"{name}.log").read_text("utf-8", "replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def stop(self) -> None:
        """SIGTERM every leader (a worker finishes its task), then SIGKILL each group after the timeout."""
        for _, proc in self.started:
            # The leader only: a Celery worker stops its own pool children in a warm shutdown.
            proc.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for _, proc in self.started:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            # The group, not only the leader: prefork pool children must not outlive the benchmark.
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        self.started.clear()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return


@contextmanager
def processes(log_dir: Path) -> Iterator[Processes]:
    """A :class:`Processes` stopped on exit, Ctrl-C included; on an error their log tails go to stderr."""
    group = Processes(log_dir)
    try:
        yield group
    except Exception:
        # The logs live in a temporary directory that is about to be removed.
        for log in sorted(log_dir.glob("*.log")):
            print(f"--- {log.name} ---\n{log.read_text('utf-8', 'replace')[-4000:]}", file=sys.stderr)
        raise
    finally:
        group.stop()


def _env(data_dir: Path, database_url: str, broker_url: str, queue: str) -> dict[str, str]:
    # Empty URLs select the embedded default; set explicitly so an inherited CIQA_* cannot change the setup.
    return {
        **os.environ,
        "CIQA_DATA_DIR": str(data_dir),
        "CIQA_DATABASE_URL": database_url,
        "CIQA_BROKER_URL": broker_url,
        "CIQA_QUEUE_NAME": queue,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


def _wait_until(ready: Callable[[], bool], what: str, group: Processes, timeout_s: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ready():
            return
        group.check()
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout_s:.0f}s")


def _api_up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/me", timeout=2.0).status_code == 401
    except httpx.HTTPError:
        return False


def start_service(group: Processes, env: Mapping[str, str], *, workers: int, api_workers: int = 1) -> str:
    """Start the served app (pages and API) on a free loopback port in ``api_workers`` processes and ``workers``
    single-process workers; returns the base URL."""
    port = free_port()
    # The app `ciqa serve` runs (its collector settings are part of what is measured).
    api = [sys.executable, "-m", "uvicorn", API_FACTORY, "--factory", "--workers", str(api_workers)]
    group.start("api", [*api, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env)
    logs = [
        group.start(f"worker-{n}", [sys.executable, "-m", "backend.cli", "worker", "--concurrency", "1"], env)
        for n in range(1, workers + 1)
    ]
    base = f"http://127.0.0.1:{port}"
    _wait_until(lambda: _api_up(base), "API", group)
    for log in logs:
        _wait_until(lambda log=log: b" ready." in log.read_bytes(), log.stem, group)
    return base


def create_university_user(database_url: str, data_dir: Path) -> tuple[str, str]:
    """Migrate the database and add an institution with a university user; returns (username, password)."""
    settings = Settings(data_dir=data_dir, database_url=database_url)
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings)
    tag = uuid.uuid4().hex[:8]
    username, password = f"bench-{tag}", secrets.token_urlsafe(12)
    with session_scope(settings) as session:
        institution = institutions.create_institution(session, name=f"基准测试学院{tag}", type=InstitutionType.APPLIED)
        create_account(
            session,
            username=username,
            password=password,
            role=Role.UNIVERSITY,
            display_name="基准测试",
            institution_id=institution.id,
            actor_id=None,
        )
        session.commit()
    return username, password


def sign_in(base: str, username: str, password: str) -> httpx.Client:
    """A client with a bearer token, obtained through the API (password login, then a token)."""
    with httpx.Client(base_url=base, timeout=60.0) as browser:
        login = browser.post("/api/auth/login", json={"username": username, "password": password})
        login.raise_for_status()
        token = browser.post(
            "/api/auth/tokens", json={"label": "bench"}, headers={"X-CSRF-Token": login.json()["csrf_token"]}
        )
        token.raise_for_status()
    return httpx.Client(base_url=base, timeout=120.0, headers={"Authorization": f"Bearer {token.json()['token']}"})


def report_pdfs(out_dir: Path, *, count: int, pages: int) -> list[Path]:
    """Synthetic reports of about ``pages`` pages as PDF, one seed each (different bytes, no deduplication)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = out_dir / f"report-{pages}p-{n}.pdf"
        write_pdf(generate_report(REPORT_SEED + n, pages=pages), path)
        paths.append(path)
    return paths


def _submit(http: httpx.Client, title: str) -> int:
    answer = http.post("/api/submissions", json={"title": title})
    answer.raise_for_status()
    return answer.json()["id"]


def _upload(http: httpx.Client, submission_id: int, pdf: Path) -> tuple[int, int]:
    answer = http.post(
        f"/api/submissions/{submission_id}/versions", files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}
    )
    answer.raise_for_status()
    body = answer.json()
    return body["version"]["id"], body["job"]["id"]


def _job_done(http: httpx.Client, job_id: int) -> bool:
    job = http.get(f"/api/jobs/{job_id}").raise_for_status().json()
    if job["status"] == "failed":
        raise RuntimeError(f"job {job_id} failed: {job['error_zh']} ({job['error_code']})")
    return job["status"] == "succeeded"


def _request_review(http: httpx.Client, version_id: int) -> int:
    answer = http.post(f"/api/versions/{version_id}/reviews", json={"rubric_id": RUBRIC_ID})
    answer.raise_for_status()
    return answer.json()["id"]


def _wait_job(http: httpx.Client, job_id: int, group: Processes, *, poll_s: float, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not _job_done(http, job_id):
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} not done after {timeout_s:.0f}s")
        group.check()
        time.sleep(poll_s)


@dataclass(frozen=True)
class EmbeddedResult:
    """Upload-to-ready latency of one report on the embedded default."""

    pages: int
    chunks: int
    upload_request_s: float
    ingest_done_s: float
    review_ready_s: float
    review_id: int


def measure_upload_to_review(
    http: httpx.Client, group: Processes, pdf: Path, *, poll_s: float = 0.2, timeout_s: float = 3600.0
) -> EmbeddedResult:
    """Upload one report, wait for its ingest, request a review and wait for it; times from the upload request.

    Args:
        http: a signed-in university client.
        group: the service processes (checked while waiting).
        pdf: the report.
        poll_s: job polling interval.
        timeout_s: limit per job.

    Returns:
        The timings and the stored review's id.
    """
    submission_id = _submit(http, "服务基准：上传到评审完成")
    started = time.perf_counter()
    version_id, ingest_job = _upload(http, submission_id, pdf)
    uploaded = time.perf_counter() - started
    _wait_job(http, ingest_job, group, poll_s=poll_s, timeout_s=timeout_s)
    ingested = time.perf_counter() - started
    _wait_job(http, _request_review(http, version_id), group, poll_s=poll_s, timeout_s=timeout_s)
    reviewed = time.perf_counter() - started
    version = http.get(f"/api/versions/{version_id}").raise_for_status().json()
    review_id = http.get(f"/api/versions/{version_id}/reviews").raise_for_status().json()[0]["id"]
    return EmbeddedResult(
        pages=version["pages"] or 0,
        chunks=(version["parse_stats"] or {}).get("chunks", 0),
        upload_request_s=round(uploaded, 3),
        ingest_done_s=round(ingested, 3),
        review_ready_s=round(reviewed, 3),
        review_id=review_id,
    )


@dataclass(frozen=True)
class BatchResult:
    """Throughput of a batch on PostgreSQL and Redis with a number of workers."""

    workers: int
    reports: int
    target_pages: int
    mean_pages: float
    mean_chunks: float
    seconds: float
    reports_per_min: float


def measure_batch(
    http: httpx.Client,
    group: Processes,
    pdfs: Sequence[Path],
    *,
    workers: int,
    target_pages: int,
    poll_s: float = 1.0,
    timeout_s: float = 7200.0,
) -> BatchResult:
    """Upload every report at once, review each as soon as it is ingested, and time the whole batch.

    Args:
        http: a signed-in university client.
        group: the service processes.
        pdfs: the reports (one submission each).
        workers: how many workers serve the queue (reported only).
        target_pages: the pages the reports were generated for (reported only).
        poll_s: job polling interval.
        timeout_s: limit for the batch.

    Returns:
        The batch's duration and reports/min.
    """
    submissions = [_submit(http, f"服务基准：批量 {n + 1}") for n in range(len(pdfs))]
    started = time.perf_counter()
    ingesting = {}
    for submission_id, pdf in zip(submissions, pdfs, strict=True):
        version_id, job_id = _upload(http, submission_id, pdf)
        ingesting[job_id] = version_id
    reviewing: dict[int, int] = {}
    versions: list[int] = []
    deadline = time.monotonic() + timeout_s
    while ingesting or reviewing:
        if time.monotonic() > deadline:
            raise TimeoutError(f"batch not done after {timeout_s:.0f}s")
        group.check()
        for job_id, version_id in list(ingesting.items()):
            if _job_done(http, job_id):
                del ingesting[job_id]
                reviewing[_request_review(http, version_id)] = version_id
        for job_id, version_id in list(reviewing.items()):
            if _job_done(http, job_id):
                del reviewing[job_id]
                versions.append(version_id)
        time.sleep(poll_s)
    seconds = time.perf_counter() - started
    stored = [http.get(f"/api/versions/{v}").raise_for_status().json() for v in versions]
    return BatchResult(
        workers=workers,
        reports=len(pdfs),
        target_pages=target_pages,
        mean_pages=round(sum(v["pages"] or 0 for v in stored) / max(1, len(stored)), 1),
        mean_chunks=round(sum((v["parse_stats"] or {}).get("chunks", 0) for v in stored) / max(1, len(stored)), 1),
        seconds=round(seconds, 3),
        reports_per_min=round(reports_per_minute(len(pdfs), seconds), 3),
    )


def _pg_up() -> bool:
    engine = create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to connect means "not up": the caller starts it
        return False
    finally:
        engine.dispose()


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_running(up: Callable[[], bool], start: str, what: str) -> None:
    """Start a local server with ``start`` if ``up()`` is false, and wait (15 s at most) until it answers."""
    if up():
        return
    subprocess.run(start, shell=True, check=False, capture_output=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if up():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} is not running and could not be started ({start})")


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped on exit (connections forced closed)."""
    name = f"ciqa_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        yield PG_URL.format(name=name)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_queue() -> Iterator[str]:
    """A queue name of its own on the benchmark's Redis database; its keys are deleted on exit."""
    queue = f"ciqa-bench-{uuid.uuid4().hex[:8]}"
    try:
        yield queue
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in list(client.scan_iter(match=f"*{queue}*", count=1000)):
            client.delete(key)
        client.close()


@dataclass(frozen=True)
class ReadResult:
    """The read load on one URL: what was read, the size of one answer, the latency statistics."""

    read: str
    path: str
    response_bytes: int
    stats: LatencyStats


def measure_reads(http: httpx.Client, review_id: int, *, clients: int, requests: int) -> list[ReadResult]:
    """The read load on a review's overview (gzip and plain), its revalidation (If-None-Match → 304), and one
    indicator's evidence.

    Args:
        http: a signed-in client on the API.
        review_id: the review to read.
        clients: concurrent readers.
        requests: total requests per read.

    Returns:
        One result per read, in that order.
    """
    overview_path = f"/api/reviews/{review_id}"
    overview = http.get(overview_path).raise_for_status()
    evidence_path = f"/api/assessments/{overview.json()['assessments'][0]['id']}"
    # As a browser (and httpx) asks: gzip accepted. The plain overview is kept for scripts that do not ask for it.
    auth = {"Authorization": http.headers["Authorization"], "Accept-Encoding": "gzip"}
    reads = [
        ("概览", overview_path, auth, 200),
        ("概览（不压缩）", overview_path, auth | {"Accept-Encoding": "identity"}, 200),
        ("概览 304", overview_path, auth | {"If-None-Match": overview.headers["etag"]}, 304),
        ("指标证据", evidence_path, auth, 200),
    ]
    results = []
    for name, path, headers, expect in reads:
        with http.stream("GET", path, headers=headers) as answer:
            size = len(b"".join(answer.iter_raw()))  # the bytes sent, compressed or not
        # Not counted: a warm-up round (connections opened, each server process's caches and pages filled).
        warm_up = max(requests // WARM_UP_DIVISOR, 100)
        read_load(str(http.base_url.join(path)), headers, clients=clients, requests=warm_up, expect=expect)
        stats = read_load(str(http.base_url.join(path)), headers, clients=clients, requests=requests, expect=expect)
        results.append(ReadResult(name, path, size, stats))
    return results


def run_embedded(
    work: Path, *, pages: int, clients: int, requests: int, api_workers: int = 1
) -> tuple[EmbeddedResult, list[ReadResult]]:
    """The embedded default: one 100-page upload to review, then the read loads on its review.

    Args:
        work: a temporary directory (its ``var/`` holds the SQLite database, broker, files and indexes).
        pages: target pages of the report.
        clients: concurrent readers.
        requests: total read requests.
        api_workers: HTTP server processes (``ciqa serve --api-workers``).

    Returns:
        The upload timings and the read-latency statistics of each read.
    """
    data_dir = work / "embedded" / "var"
    (pdf,) = report_pdfs(work / "reports", count=1, pages=pages)
    username, password = create_university_user("", data_dir)
    with processes(data_dir.parent) as group:
        base = start_service(group, _env(data_dir, "", "", "ciqa"), workers=1, api_workers=api_workers)
        with sign_in(base, username, password) as http:
            latency = measure_upload_to_review(http, group, pdf)
            reads = measure_reads(http, latency.review_id, clients=clients, requests=requests)
    return latency, reads


def run_deployment(work: Path, *, workers: int, pdfs: Sequence[Path], target_pages: int) -> BatchResult:
    """One batch on a fresh PostgreSQL database and a Redis queue of its own with ``workers`` workers."""
    with ExitStack() as stack:
        database_url = stack.enter_context(fresh_pg_database())
        queue = stack.enter_context(redis_queue())
        data_dir = work / f"deployment-{workers}" / "var"
        username, password = create_university_user(database_url, data_dir)
        group = stack.enter_context(processes(data_dir.parent))
        # Each worker gets its share of the cores for embedding, as the README advises (CIQA_EMBED_THREADS = C / W):
        # without it two workers on 2 cores each run 2 OpenMP threads and fight over them.
        env = _env(data_dir, database_url, REDIS_URL, queue) | {
            "CIQA_EMBED_THREADS": str(max(1, (os.cpu_count() or 1) // workers))
        }
        base = start_service(group, env, workers=workers)
        http = stack.enter_context(sign_in(base, username, password))
        return measure_batch(http, group, pdfs, workers=workers, target_pages=target_pages)


def run_cli(
    *,
    pages: int = 100,
    batch: int = 20,
    batch_pages: int = 10,
    workers: Sequence[int] = (1, 2),
    clients: int = 50,
    requests: int = 2000,
    deployment: bool = True,
    api_workers: int = 1,
    out_dir: Path = Path("eval/results"),
) -> dict[str, object]:
    """Run the three measurements, print them as tables and save ``bench_service.json``."""
    console = Console()
    result: dict[str, object] = {
        "cpu_count": os.cpu_count(),
        "api_workers": api_workers,
        "load_average_start": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="ciqa-bench-service-") as tmp:
        work = Path(tmp)
        console.print(
            f"内嵌默认（SQLite、SQLite broker、1 个 worker）：上传 {pages} 页报告并评审，"
            f"然后 {clients} 个并发客户端读取评审…"
        )
        latency, reads = run_embedded(work, pages=pages, clients=clients, requests=requests, api_workers=api_workers)
        result["embedded"] = asdict(latency)
        result["api_read"] = [{"clients": clients, **asdict(r)} for r in reads]
        batches: list[BatchResult] = []
        if deployment:
            ensure_running(_pg_up, PG_START, "PostgreSQL")
            ensure_running(_redis_up, REDIS_START, "Redis")
            pdfs = report_pdfs(work / "batch", count=batch, pages=batch_pages)
            for n in workers:
                console.print(f"Redis + PostgreSQL：{batch} 份报告（目标 {batch_pages} 页），{n} 个 worker…")
                batches.append(run_deployment(work, workers=n, pdfs=pdfs, target_pages=batch_pages))
        result["deployment"] = [asdict(b) for b in batches]
    result["load_average_end"] = os.getloadavg()

    table = Table("指标", "数值", title=f"内嵌默认：上传到评审完成（{latency.pages} 页，{latency.chunks} 个分块）")
    table.add_row("上传请求", f"{latency.upload_request_s:.2f} s")
    table.add_row("上传 → 入库完成", f"{latency.ingest_done_s:.1f} s")
    table.add_row("上传 → 评审完成", f"{latency.review_ready_s:.1f} s")
    console.print(table)
    if batches:
        table = Table(
            "worker 数",
            "报告数",
            "目标页数",
            "实际平均页数",
            "平均分块",
            "用时",
            "报告/分钟",
            title="Redis + PostgreSQL 吞吐",
        )
        for b in batches:
            table.add_row(
                str(b.workers),
                str(b.reports),
                str(b.target_pages),
                f"{b.mean_pages:.1f}",
                f"{b.mean_chunks:.0f}",
                f"{b.seconds:.0f} s",
                f"{b.reports_per_min:.2f}",
            )
        console.print(table)
    table = Table(
        "读取",
        "响应",
        "错误",
        "p50",
        "p95",
        "最大",
        "请求/秒",
        title=f"API 读取评审：{clients} 个并发客户端，每项 {requests} 次，{api_workers} 个 HTTP 服务进程",
        caption=(
            "概览 GET /api/reviews/{id}（接受 gzip，如浏览器）；不压缩：Accept-Encoding: identity；"
            "概览 304：带 If-None-Match；指标证据 GET /api/assessments/{id}；响应：实际传输字节"
        ),
    )
    for r in reads:
        table.add_row(
            r.read,
            f"{r.response_bytes / 1024:.1f} KB",
            str(r.stats.errors),
            f"{r.stats.p50_ms:.1f} ms",
            f"{r.stats.p95_ms:.1f} ms",
            f"{r.stats.max_ms:.1f} ms",
            f"{r.stats.requests_per_s:.1f}",
        )
    console.print(table)
    console.print(f"CPU 核数 {result['cpu_count']}；负载 {result['load_average_start']} → {result['load_average_end']}")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench_service.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), "utf-8")
    console.print(f"已保存 {out_dir / 'bench_service.json'}")
    return result
