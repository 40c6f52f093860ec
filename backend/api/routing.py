"""The API's router: a sync route's unit of work is committed on the route's own worker thread.

FastAPI validates a sync route's return value on a second trip to the thread pool, while the request's
session (``DbSession``, ended after the answer is built) still holds its pooled connection. Under load
every worker thread could then wait for a connection inside ``current_user`` while every connection's
request waited for a thread to validate its answer, until the pool's checkout timeout (seen with two
threads and one connection: ``tests/backend/api/test_deps.py``; with PostgreSQL's 15 connections and
40 threads, at 16 concurrent list reads). Committed when the route returns, the session gives its
connection back before that second trip; ``get_db`` then only closes it.
"""

from __future__ import annotations

import functools
from asyncio import iscoroutinefunction
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session


class Router(APIRouter):
    """An APIRouter whose sync routes commit their request's session before returning."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        """Register ``endpoint``, wrapped to commit its session when it is a sync function."""
        super().add_api_route(path, endpoint if iscoroutinefunction(endpoint) else _committing(endpoint), **kwargs)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    # functools.wraps keeps the signature (FastAPI reads the parameters through __wrapped__) and the name.
    @functools.wraps(endpoint)
    def run(**values: Any) -> Any:
        answer = endpoint(**values)
        for value in values.values():
            if isinstance(value, Session):
                value.commit()
        return answer

    return run
