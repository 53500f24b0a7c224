"""Password hashing with Argon2id; hashes made with older parameters are renewed on sign-in.

Argon2 is slow on purpose (tens of milliseconds of CPU and 64 MiB per check), so it never runs on
the event loop: `hash_password`, `verify` and `spend_equal_time` run it in a small thread pool of
`password_hash_workers` threads (argon2-cffi releases the GIL while it works), and every other
request goes on being served meanwhile. The pool is bounded, so that sign-ins side by side queue
for a thread instead of taking all the CPU and memory of the process."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clientela.settings import get_settings

_hasher = PasswordHasher()
# Verified against when the address is unknown, so that an unknown address costs as much time
# as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only spends time")

_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=get_settings().password_hash_workers, thread_name_prefix="argon2")
    return _pool


async def _off_the_loop(function, *args):
    return await asyncio.get_running_loop().run_in_executor(_executor(), function, *args)


def _hash_blocking(password: str) -> str:
    return _hasher.hash(password)


def _verify_blocking(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await _off_the_loop(_hash_blocking, password)


async def verify(password_hash: str | None, password: str) -> bool:
    return await _off_the_loop(_verify_blocking, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


async def spend_equal_time(password: str) -> None:
    await verify(None, password)
