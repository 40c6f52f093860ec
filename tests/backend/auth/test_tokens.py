"""Session and API tokens: stored only as SHA-256, expiry, revocation, inactive users, CSRF on cookie writes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.tokens import Principal, authenticate, csrf_token_for, issue_token, revoke, token_sha256
from backend.db.base import utcnow
from backend.db.models import AuthToken, TokenKind
from backend.errors import AppError, ErrorCode
from tests.backend.service_fixtures import Tenant


def _auth(db: Session, token: str | None, *, method: str = "GET", bearer: bool = False, **csrf: str) -> Principal:
    return authenticate(
        db,
        method=method,
        bearer=token if bearer else None,
        session_cookie=None if bearer else token,
        csrf_cookie=csrf.get("cookie"),
        csrf_header=csrf.get("header"),
        now=utcnow(),
    )


def test_only_the_hash_of_a_token_is_stored(db: Session, tenant: Tenant) -> None:
    issued = issue_token(db, user_id=tenant.user.id, kind=TokenKind.SESSION, ttl_s=60, now=utcnow())
    stored = db.scalars(select(AuthToken.token_sha256)).all()
    assert stored == [token_sha256(issued.token)]
    assert issued.token not in stored
    assert len(issued.token) >= 43


def test_session_authenticates_its_user(db: Session, tenant: Tenant) -> None:
    issued = issue_token(db, user_id=tenant.user.id, kind=TokenKind.SESSION, ttl_s=60, now=utcnow())
    principal = _auth(db, issued.token)
    assert (principal.user_id, principal.institution_id, principal.via) == (
        tenant.user.id,
        tenant.institution.id,
        TokenKind.SESSION,
    )


@pytest.mark.parametrize("case", ["unknown", "expired", "revoked", "inactive", "session-as-bearer", "api-as-cookie"])
def test_invalid_tokens_are_unauthenticated(db: Session, tenant: Tenant, case: str) -> None:
    now = utcnow()
    kind = TokenKind.API if case == "api-as-cookie" else TokenKind.SESSION
    issued = issue_token(db, user_id=tenant.user.id, kind=kind, ttl_s=60, now=now)
    token = "not-a-token" if case == "unknown" else issued.token
    if case == "expired":
        issued = issue_token(db, user_id=tenant.user.id, kind=kind, ttl_s=60, now=now - dt.timedelta(hours=1))
        token = issued.token
    if case == "revoked":
        revoke(db, principal=_auth(db, token), now=now)
    if case == "inactive":
        tenant.user.is_active = False
        db.flush()
    with pytest.raises(AppError) as err:
        _auth(db, token, bearer=case == "session-as-bearer")
    assert err.value.code is ErrorCode.UNAUTHENTICATED


def test_cookie_writes_need_the_matching_csrf_header(db: Session, tenant: Tenant) -> None:
    issued = issue_token(db, user_id=tenant.user.id, kind=TokenKind.SESSION, ttl_s=60, now=utcnow())
    assert issued.csrf_token == csrf_token_for(issued.token)
    other = csrf_token_for("another-session")
    for cookie, header in [(None, None), (issued.csrf_token, None), (other, other), (issued.csrf_token, other)]:
        with pytest.raises(AppError) as err:
            _auth(db, issued.token, method="POST", cookie=cookie, header=header)
        assert err.value.code is ErrorCode.CSRF_FAILED
    ok = _auth(db, issued.token, method="POST", cookie=issued.csrf_token, header=issued.csrf_token)
    assert ok.user_id == tenant.user.id


def test_bearer_writes_need_no_csrf(db: Session, tenant: Tenant) -> None:
    issued = issue_token(db, user_id=tenant.user.id, kind=TokenKind.API, ttl_s=60, now=utcnow())
    assert _auth(db, issued.token, method="DELETE", bearer=True).via is TokenKind.API
