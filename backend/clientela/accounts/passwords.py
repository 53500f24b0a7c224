"""Password hashing with Argon2id; hashes made with older parameters are renewed on sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the address is unknown, so that an unknown address costs as much time
# as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only spends time")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def spend_equal_time(password: str) -> None:
    verify(None, password)
