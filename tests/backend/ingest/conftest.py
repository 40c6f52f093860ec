"""Database, settings and tenant fixtures shared by the service tests."""

from tests.backend.service_fixtures import *  # noqa: F403
