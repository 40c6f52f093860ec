"""Conditional GETs of stored reviews: strong ETags and 304 Not Modified.

A stored review and its assessments never change (a re-review is a new row); only expert decisions are
added to them, and never removed. So the object's id and its decisions' count and newest id name the body
exactly, and the ETag is found with one small query, before anything large is read.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel

from backend.db.queries.decisions import DecisionStamp

# Part of every ETag: raised when the body of these answers changes shape, so that no client keeps
# revalidating a copy in the old shape.
BODY_FORMAT = 3
# The browser may keep the answer but must ask each time (the 304 is cheap); "private": it depends on the user's rights.
CACHE_CONTROL = "private, no-cache"
# Below this size gzip saves too little to be worth the CPU (and can make a tiny body larger).
GZIP_MINIMUM_BYTES = 1024
# Level 6 takes about half the CPU of Starlette's default 9 for 2–3 % more bytes (measured on review JSON).
GZIP_LEVEL = 6

IfNoneMatch = Annotated[
    str | None,
    Header(description="the ETag of a copy the client holds: 304 with no body while it is still current"),
]

# How the client takes the body (gzip or not): not in the documented parameters, as for every other answer.
AcceptEncoding = Annotated[str | None, Header(include_in_schema=False)]

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


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding header admits gzip (``gzip`` listed without ``q=0``)."""
    for coding in (accept_encoding or "").lower().split(","):
        name, _, params = coding.partition(";")
        if name.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


@dataclass
class _Body:
    """A rendered JSON body and, once a client asked for it, the same body gzip-compressed."""

    plain: bytes
    gzipped: bytes | None = None


class RenderedBodies:
    """JSON bodies rendered once per ETag and kept (the most recent ``size``): an ETag names one body exactly,
    and the body holds nothing that depends on who asks, so a second reader after authorization gets the bytes.

    Compressed once too: browsers ask for gzip, and compressing a 60 KB overview for every read (the gzip
    middleware's way) cost more CPU than the rest of the read. Both encodings carry the one ETag, as the
    middleware's answers do; If-None-Match is compared weakly.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._bodies: OrderedDict[str, _Body] = OrderedDict()
        self._lock = threading.Lock()

    def response(self, etag: str, render: Callable[[], BaseModel], *, gzip_ok: bool = False) -> Response:
        """The JSON answer for ``etag``: kept bytes, or ``render()`` serialised once and kept; gzipped if ``gzip_ok``
        and the body is large enough to gain from it."""
        with self._lock:
            body = self._bodies.get(etag)
            if body is not None:
                self._bodies.move_to_end(etag)
        if body is None:
            body = _Body(render().model_dump_json().encode())
            with self._lock:
                self._bodies[etag] = body
                while len(self._bodies) > self._size:
                    self._bodies.popitem(last=False)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if not gzip_ok or len(body.plain) < GZIP_MINIMUM_BYTES:
            return Response(body.plain, media_type="application/json", headers=headers)  # the middleware adds Vary
        if body.gzipped is None:
            # Two readers may both compress a new body; either result is the same bytes.
            body.gzipped = gzip.compress(body.plain, compresslevel=GZIP_LEVEL, mtime=0)
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}  # the middleware passes it as it is
        return Response(body.gzipped, media_type="application/json", headers=headers)


@dataclass(frozen=True)
class ConditionalRead:
    """A conditional GET's side of the answer: the kept bodies, the client's copy (If-None-Match), gzip or not."""

    bodies: RenderedBodies
    if_none_match: str | None
    gzip_ok: bool

    def answer(self, etag: str, render: Callable[[], BaseModel]) -> Response:
        """304 while the client's copy is ``etag``, else the body for ``etag`` (rendered once and kept)."""
        if etag_matches(self.if_none_match, etag):
            return not_modified(etag)
        return self.bodies.response(etag, render, gzip_ok=self.gzip_ok)
