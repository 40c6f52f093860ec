"""Database and settings fixtures shared by the service tests (SQLite only for the auth tests)."""

import pytest

from tests.backend.service_fixtures import *  # noqa: F403


@pytest.fixture
def backend() -> str:
    """Auth tests run on SQLite (the token queries are plain SQL); test_login.py runs on PostgreSQL too."""
    return "sqlite"
