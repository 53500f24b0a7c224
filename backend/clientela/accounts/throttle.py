"""Rate limits counted in the database, so that every server process sees the same counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clientela.accounts.models import ThrottleHit
from clientela.core.errors import RateLimited


async def count(key: str, *, window: timedelta) -> int:
    since = datetime.now(UTC) - window
    return await ThrottleHit.filter(key=key, created_at__gte=since).count()


async def record(key: str) -> None:
    await ThrottleHit.create(key=key)


def limited(window: timedelta) -> RateLimited:
    return RateLimited(int(window.total_seconds()))


async def require(key: str, *, limit: int, window: timedelta) -> None:
    """Count an attempt, refusing it with RATE_LIMITED when `key` had `limit` within `window`."""
    if await count(key, window=window) >= limit:
        raise limited(window)
    await record(key)
    # Older rows no longer count for anything; drop them so the table stays small.
    await ThrottleHit.filter(key=key, created_at__lt=datetime.now(UTC) - window).delete()
