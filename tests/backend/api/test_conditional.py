"""Conditional GETs of reviews and assessments: ETags, 304 with no body, and a new expert decision changing
the ETag (of its own review and assessment only)."""

from __future__ import annotations

import gzip

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session

from backend.api.conditional import CACHE_CONTROL, RenderedBodies, accepts_gzip, etag_matches, review_etag
from backend.db.queries.decisions import DecisionStamp
from tests.backend.api.conftest import World, bearer, stored_review


def _urls(world: World) -> list[str]:
    return [f"/api/reviews/{world.own.review_id}", f"/api/assessments/{world.own.assessment_id}"]


def _decide(client: TestClient, world: World, assessment_id: int, body: dict) -> None:
    url = f"/api/assessments/{assessment_id}/decisions"
    assert client.post(url, json=body, headers=bearer(world, "expert")).status_code == 201


@pytest.mark.parametrize("which", [0, 1], ids=["review", "assessment"])
def test_a_current_etag_gets_304_with_no_body(client: TestClient, world: World, which: int) -> None:
    url, headers = _urls(world)[which], bearer(world, "university")
    first = client.get(url, headers=headers)
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == CACHE_CONTROL
    again = client.get(url, headers=headers | {"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and "content-encoding" not in again.headers
    assert client.get(url, headers=headers | {"If-None-Match": '"something-else"'}).status_code == 200


@pytest.mark.parametrize("which", [0, 1], ids=["review", "assessment"])
def test_a_new_decision_changes_the_etag(client: TestClient, world: World, which: int) -> None:
    url, headers = _urls(world)[which], bearer(world, "secretariat")
    before = client.get(url, headers=headers).headers["etag"]
    _decide(client, world, world.own.assessment_id, {"action": "edit", "final_level": "A", "comment": "材料充分"})
    after = client.get(url, headers=headers | {"If-None-Match": before})
    assert after.status_code == 200 and after.headers["etag"] != before
    decided = after.json()["decisions"] if which else after.json()["assessments"][0]["decisions"]
    assert [(d["action"], d["final_level"]) for d in decided] == [("edit", "A")]
    assert client.get(url, headers=headers | {"If-None-Match": after.headers["etag"]}).status_code == 304


def test_a_decision_on_another_review_leaves_the_etag(client: TestClient, world: World, db: Session) -> None:
    headers = bearer(world, "secretariat")
    etags = [client.get(url, headers=headers).headers["etag"] for url in _urls(world)]
    _, other_assessment = stored_review(db, version_id=world.own.version_id)
    _decide(client, world, other_assessment, {"action": "accept"})
    for url, etag in zip(_urls(world), etags, strict=True):
        assert client.get(url, headers=headers | {"If-None-Match": etag}).status_code == 304


def test_a_valid_etag_of_another_tenants_review_still_gets_404(client: TestClient, world: World) -> None:
    """Authorization comes first: a 304 would tell a university that another's review exists."""
    for url in (f"/api/reviews/{world.other.review_id}", f"/api/assessments/{world.other.assessment_id}"):
        etag = client.get(url, headers=bearer(world, "secretariat")).headers["etag"]
        hidden = client.get(url, headers=bearer(world, "university") | {"If-None-Match": etag})
        assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"review-1-0-0-f2"', True),
        ('W/"review-1-0-0-f2"', True),
        ('"x", "review-1-0-0-f2"', True),
        ("*", True),
        ('"review-1-1-7-f2"', False),
        ("review-1-0-0-f2", False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_forms(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"review-1-0-0-f2"') is matches


def test_a_decision_seen_late_with_a_lower_id_still_changes_the_etag() -> None:
    """Under concurrent writes the newest id can stay the same while another decision becomes visible."""
    assert review_etag(1, DecisionStamp(count=1, latest_id=11)) != review_etag(1, DecisionStamp(count=2, latest_id=11))


class _Body(BaseModel):
    n: int


def test_bodies_are_rendered_once_per_etag_and_the_oldest_dropped() -> None:
    rendered: list[int] = []

    def render(n: int):
        return lambda: rendered.append(n) or _Body(n=n)

    bodies = RenderedBodies(2)
    assert bodies.response('"a"', render(1)).body == b'{"n":1}'
    assert bodies.response('"a"', render(9)).body == b'{"n":1}'
    bodies.response('"b"', render(2))
    bodies.response('"a"', render(9))  # "a" was read last, so "b" is the oldest
    bodies.response('"c"', render(3))
    assert bodies.response('"a"', render(9)).body == b'{"n":1}'
    assert bodies.response('"b"', render(4)).body == b'{"n":4}'
    assert rendered == [1, 2, 3, 4]
    answer = bodies.response('"b"', render(9))
    assert answer.headers["etag"] == '"b"' and answer.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip, deflate, br, zstd", True),  # what Chromium sends
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("identity", False),
        ("x-gzip-ish", False),
        ("", False),
        (None, False),
    ],
)
def test_accepts_gzip_reads_the_header(header: str | None, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


class _Large(BaseModel):
    text: str


def test_gzipped_body_is_compressed_once_and_decompresses_to_the_plain_one() -> None:
    renders: list[int] = []
    text = "评审证据" * 2000

    def render() -> _Large:
        renders.append(1)
        return _Large(text=text)

    bodies = RenderedBodies(4)
    plain = bodies.response('"a"', render)
    first = bodies.response('"a"', render, gzip_ok=True)
    second = bodies.response('"a"', render, gzip_ok=True)
    assert "content-encoding" not in plain.headers
    assert first.headers["content-encoding"] == "gzip" and first.headers["vary"] == "Accept-Encoding"
    assert first.headers["etag"] == plain.headers["etag"] == '"a"'
    assert gzip.decompress(first.body) == plain.body and len(first.body) < len(plain.body) / 10
    assert second.body is first.body  # kept, not compressed again
    assert renders == [1]


def test_small_body_is_not_gzipped_even_when_accepted() -> None:
    answer = RenderedBodies(2).response('"s"', lambda: _Body(n=1), gzip_ok=True)
    assert "content-encoding" not in answer.headers and answer.body == b'{"n":1}'
