"""Conditional GETs of stored reviews: strong ETags and 304 Not Modified.

A stored review and its assessments never change (a re-review is a new row); only expert decisions are
added to them, and never removed. So the object's id and its decisions' count and newest id name the body
exactly, and the ETag is found with one small query, before anything large is read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel

from backend.db.queries.decisions import DecisionStamp

# Part of every ETag: raised when the body of these answers changes shape, so that no client keeps
# revalidating a copy in the old shape.
BODY_FORMAT = 3
# The browser may keep the answer but must ask each time (the 304 is cheap); "private": it depends on the user's rights.
CACHE_CONTROL = "private, no-cache"

IfNoneMatch = Annotated[
    str | None,
    Header(description="the ETag of a copy the client holds: 304 with no body while it is still current"),
]

NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "Not modified: the copy named in If-None-Match is current (no body)"}
}


def review_etag(review_id: int, decisions: DecisionStamp, scope: str = "all") -> str:
    """The ETag of a review's overview: the review, whose decisions the reader sees (``scope``) and their stamp."""
    return f'"review-{review_id}-{scope}-{decisions.count}-{decisions.latest_id or 0}-f{BODY_FORMAT}"'


def assessment_etag(assessment_id: int, decisions: DecisionStamp, scope: str = "all") -> str:
    """The ETag of a full assessment: the assessment, whose decisions the reader sees and their stamp."""
    return f'"assessment-{assessment_id}-{scope}-{decisions.count}-{decisions.latest_id or 0}-f{BODY_FORMAT}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match names ``etag``: ``*`` or one of a list, compared weakly as RFC 9110 asks."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def not_modified(etag: str) -> Response:
    """304 with the ETag and no body."""
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})


class RenderedBodies:
    """JSON bodies rendered once per ETag and kept (the most recent ``size``): an ETag names one body exactly,
    and the body holds nothing that depends on who asks, so a second reader after authorization gets the bytes.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def response(self, etag: str, render: Callable[[], BaseModel]) -> Response:
        """The JSON answer for ``etag`` with its ETag: kept bytes, or ``render()`` serialised once and kept."""
        with self._lock:
            body = self._bodies.get(etag)
            if body is not None:
                self._bodies.move_to_end(etag)
        if body is None:
            body = render().model_dump_json().encode()
            with self._lock:
                self._bodies[etag] = body
                while len(self._bodies) > self._size:
                    self._bodies.popitem(last=False)
        return Response(body, media_type="application/json", headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
