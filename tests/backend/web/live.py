"""A live service for browser tests: `ciqa serve` (uvicorn and a Celery worker on the embedded broker) in a
subprocess on a free port, over a fresh SQLite database seeded with one university and its user, two experts
(employed by another institution), the secretariat and a campaign.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from backend.auth.passwords import hash_password
from backend.config import Settings
from backend.db.models import Role
from backend.db.queries import campaigns, institutions, users
from backend.db.session import session_scope, upgrade
from backend.domain.enums import InstitutionType, SubmissionKind

PASSWORD = "浏览器测试-password-1"
STARTUP_TIMEOUT_S = 90
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@dataclass(frozen=True)
class LiveService:
    """Where the service listens and what it was seeded with."""

    base_url: str
    data_dir: Path
    settings: Settings
    username: str
    password: str
    institution: str
    campaign: str
    log: Path
    experts: tuple[str, ...] = ("expert-wang", "expert-li")
    secretariat: str = "secretariat-office"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(settings: Settings) -> tuple[str, str, str]:
    upgrade(settings)
    with session_scope(settings) as session:
        school = institutions.create_institution(session, name="浏览器测试学院", type=InstitutionType.APPLIED)
        users.create_user(
            session,
            username="qa-office",
            display_name="浏览器测试学院教务处",
            role=Role.UNIVERSITY,
            institution_id=school.id,
            password_hash=hash_password(PASSWORD),
        )
        employer = institutions.create_institution(session, name="评审专家所在大学", type=InstitutionType.RESEARCH)
        for username, name in (("expert-wang", "王专家"), ("expert-li", "李专家")):
            users.create_user(
                session,
                username=username,
                display_name=name,
                role=Role.EXPERT,
                institution_id=employer.id,
                password_hash=hash_password(PASSWORD),
            )
        users.create_user(
            session,
            username="secretariat-office",
            display_name="联盟秘书处",
            role=Role.SECRETARIAT,
            password_hash=hash_password(PASSWORD),
        )
        campaigns.create_campaign(
            session,
            name="2026年质量文化示范校遴选",
            rubric_id="quality-culture-2026",
            kind=SubmissionKind.SELF_EVALUATION,
        )
        session.commit()
    return "qa-office", school.name, "2026年质量文化示范校遴选"


@contextmanager
def live_service(tmp: Path) -> Iterator[LiveService]:
    """Start the service, wait until the login page answers, stop it (and its worker) afterwards."""
    data_dir = tmp / "var"
    env = {
        **os.environ,
        "CIQA_DATA_DIR": str(data_dir),
        "CIQA_DATABASE_URL": "",
        "CIQA_BROKER_URL": "",
        "CIQA_QUEUE_NAME": f"ciqa-browser-{uuid.uuid4().hex[:8]}",
    }
    settings = Settings(data_dir=data_dir, database_url="", broker_url="", queue_name=env["CIQA_QUEUE_NAME"])
    data_dir.mkdir(parents=True)
    username, institution, campaign = _seed(settings)
    port = _free_port()
    log = tmp / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            # Two HTTP processes, as a deployment runs them: the session must hold across both.
            [sys.executable, "-m", "backend.cli", "serve", "--port", str(port), "--api-workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(base + "/login", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ciqa serve did not start:\n{log.read_text('utf-8', 'replace')[-4000:]}")
            time.sleep(0.3)
        yield LiveService(base, data_dir, settings, username, PASSWORD, institution, campaign, log)
    finally:
        # The whole process group: uvicorn and the worker process it started.
        try:
            os.killpg(process.pid, 15)
            process.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, 9)
