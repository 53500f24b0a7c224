"""Rate limits counted in the database, so that every server process sees the same counts.

An attempt reserves first and counts afterwards: it writes its row, then counts the rows of its
key in the window, its own included, and withdraws when that is over the limit. Of any attempts
running side by side, the last to count sees every row written before it, so no more than `limit`
pass on SQLite or PostgreSQL, without locks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clientela.accounts import repository
from clientela.accounts.models import ThrottleHit
from clientela.core.errors import RateLimited


def limited(window: timedelta) -> RateLimited:
    return RateLimited(int(window.total_seconds()))


async def reserve(limits: dict[str, int], *, window: timedelta) -> list[ThrottleHit]:
    """Count one attempt against each key of `limits` (key → attempts allowed within `window`),
    refusing it with RATE_LIMITED, and keeping none of its rows, when any key is over."""
    hits = await repository.add_throttle_hits(list(limits))
    since = datetime.now(UTC) - window
    for key, limit in limits.items():
        if await repository.count_throttle_hits(key, since) > limit:
            await release(hits)
            raise limited(window)
    # Older rows no longer count for anything; drop them so the table stays small.
    await repository.drop_throttle_hits_before(list(limits), since)
    return hits


async def release(hits: list[ThrottleHit]) -> None:
    """Take back attempts that turned out not to count (a sign-in that succeeded)."""
    await repository.remove_throttle_hits(hits)


async def require(key: str, *, limit: int, window: timedelta) -> None:
    """Count an attempt, refusing it with RATE_LIMITED when `key` had `limit` within `window`."""
    await reserve({key: limit}, window=window)
