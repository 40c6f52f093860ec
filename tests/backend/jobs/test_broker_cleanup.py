"""The embedded broker (kombu's SQLAlchemy transport on a SQLite file) keeps every delivered message as an
invisible row; the worker's sweeper deletes them, and a message still unacknowledged is not lost."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from kombu import Connection

from backend.config import Settings
from backend.db.models import JobKind
from backend.jobs.enqueue import publish
from backend.jobs.sweeper import purge_delivered_messages


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The embedded default on a temporary var/, with a queue of its own."""
    return Settings(data_dir=tmp_path, queue_name=f"ciqa-test-{uuid.uuid4().hex[:8]}")


def _rows(settings: Settings) -> tuple[int, int]:
    """(waiting, delivered) rows in the broker's message table, read straight from its SQLite file."""
    with sqlite3.connect(settings.data_dir / "broker.sqlite") as db:
        counts = dict(db.execute("SELECT visible, count(*) FROM kombu_message GROUP BY visible").fetchall())
    return counts.get(1, 0), counts.get(0, 0)


def _job_ids(connection: Connection, settings: Settings, n: int, *, ack: bool) -> list[int]:
    queue = connection.SimpleQueue(settings.queue_name)
    received = []
    for _ in range(n):
        message = queue.get(timeout=10)
        received.append(message.payload[0][0])  # Celery protocol 2: (args, kwargs, embed)
        if ack:
            message.ack()
    return received


def test_delivered_messages_are_deleted_and_unacknowledged_ones_survive(settings: Settings) -> None:
    for job_id in range(1, 7):
        publish(job_id, JobKind.INGEST, settings)
    assert _rows(settings) == (6, 0)

    consumer = Connection(settings.broker_url)
    assert _job_ids(consumer, settings, 4, ack=True) == [1, 2, 3, 4]
    assert _job_ids(consumer, settings, 1, ack=False) == [5]  # a worker still running job 5
    assert _rows(settings) == (1, 5)

    assert purge_delivered_messages(settings) == 5
    assert _rows(settings) == (1, 0)
    # The worker holding job 5 stops without acknowledging it: kombu publishes it again from memory.
    consumer.release()
    assert _rows(settings) == (2, 0)

    with Connection(settings.broker_url) as again:
        assert sorted(_job_ids(again, settings, 2, ack=True)) == [5, 6]
    assert purge_delivered_messages(settings) == 2
    assert _rows(settings) == (0, 0)
    assert purge_delivered_messages(settings) == 0


def test_other_brokers_are_left_alone(tmp_path: Path) -> None:
    assert purge_delivered_messages(Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:1/0")) == 0
