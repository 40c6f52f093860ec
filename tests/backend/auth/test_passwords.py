"""Password hashing: argon2id with a salt, verification that never raises."""

from __future__ import annotations

from backend.auth.passwords import hash_password, needs_rehash, verify_password


def test_hash_is_salted_argon2id() -> None:
    first, second = hash_password("秘密 password"), hash_password("秘密 password")
    assert first.startswith("$argon2id$v=19$m=")
    assert first != second
    assert "秘密" not in first


def test_verify_accepts_the_password_and_nothing_else() -> None:
    stored = hash_password("s3cret-pass")
    assert verify_password(stored, "s3cret-pass")
    assert not verify_password(stored, "s3cret-pasS")
    assert not verify_password(stored, "")


def test_missing_or_malformed_hash_is_a_failure_not_an_error() -> None:
    assert not verify_password(None, "anything")
    assert not verify_password("", "anything")
    assert not verify_password("$argon2id$garbage", "anything")
    assert not verify_password("plaintext", "plaintext")


def test_current_hashes_need_no_rehash_and_weaker_ones_do() -> None:
    assert not needs_rehash(hash_password("x"))
    weak = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"
    assert needs_rehash(weak)
