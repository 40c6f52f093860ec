"""Conditional GETs of stored reviews: strong ETags and 304 Not Modified.

A stored review and its assessments never change (a re-review is a new row); only expert decisions are
added to them, append-only with growing ids. So the id of the object and of its newest decision name the
body exactly, and the ETag is found with one small query, before anything large is read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

# Part of every ETag: raised when the body of these answers changes shape, so that no client keeps
# revalidating a copy in the old shape.
BODY_FORMAT = 2
# The browser may keep the answer but must ask each time (the 304 is cheap); "private": it depends on the user's rights.
CACHE_CONTROL = "private, no-cache"

IfNoneMatch = Annotated[
    str | None,
    Header(description="the ETag of a copy the client holds: 304 with no body while it is still current"),
]

NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "Not modified: the copy named in If-None-Match is current (no body)"}
}


def review_etag(review_id: int, latest_decision_id: int | None) -> str:
    """The ETag of a review's overview: the review and the newest decision on any of its assessments."""
    return f'"review-{review_id}-{latest_decision_id or 0}-f{BODY_FORMAT}"'


def assessment_etag(assessment_id: int, latest_decision_id: int | None) -> str:
    """The ETag of a full assessment: the assessment and its newest decision."""
    return f'"assessment-{assessment_id}-{latest_decision_id or 0}-f{BODY_FORMAT}"'


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


def tag(response: Response, etag: str) -> None:
    """Send ``etag`` with a full answer, to be named in the client's next If-None-Match."""
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
