"""Time-ordered UUIDs (version 7): ordering by id is ordering by creation, which makes keyset
pagination on the primary key stable, and ids reveal nothing about other tenants."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last = 0
_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_RANDOM_MASK = ~((0xF << 76) | (0b11 << 62)) & ((1 << 80) - 1)


def uuid7() -> uuid.UUID:
    global _last
    millis = time.time_ns() // 1_000_000
    value = (millis << 80) | (int.from_bytes(os.urandom(10), "big") & _RANDOM_MASK) | _VERSION_AND_VARIANT
    with _lock:
        # Monotonic within a process: ids made in the same millisecond keep their order.
        if value <= _last:
            value = _last + 1
            if value & (0b11 << 62) != 0b10 << 62:  # stepped over the variant bits
                value = (value & ~(0b11 << 62)) | (0b10 << 62) | (1 << 64)
        _last = value
    return uuid.UUID(int=value)


def parse_id(raw: str | uuid.UUID | None) -> uuid.UUID | None:
    """An id from a client, or None when it is not one of ours (callers answer NOT_FOUND)."""
    if raw is None:
        return None
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def as_uuid(value: object) -> uuid.UUID:
    """An id as the database driver gave it (a UUID, or its text on SQLite), as a UUID."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
