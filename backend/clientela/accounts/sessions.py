"""Sessions: a bearer token per sign-in, ending after a while without a refresh (idle) and at a
fixed end (absolute), both longer when the person asked to be kept signed in. A refresh rotates
the token: the old one is refused from then on. Signing out ends the session on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clientela.accounts import repository
from clientela.accounts.tokens import new_token, token_hash
from clientela.accounts.viewer import viewer_for
from clientela.core.errors import Unauthenticated
from clientela.people.models import User
from clientela.policy import ANONYMOUS, Viewer, moment
from clientela.settings import get_settings
from clientela.sharing import repository as sharing


def now() -> datetime:
    """The time sessions are told at (tests move it instead of sleeping)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta


def limits(kept: bool) -> Limits:
    settings = get_settings()
    if kept:
        return Limits(timedelta(days=settings.kept_session_idle_days), timedelta(days=settings.kept_session_max_days))
    return Limits(timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_max_hours))


@dataclass
class SignedIn:
    token: str
    user: User
    # When the session ends unless it is refreshed before.
    expires_at: datetime


async def start(user: User, *, kept: bool) -> SignedIn:
    started = now()
    limit = limits(kept)
    token = new_token()
    idle_expires_at = started + min(limit.idle, limit.absolute)
    await repository.start_session(
        user, token_hash(token), started, kept=kept, idle_expires_at=idle_expires_at, expires_at=started + limit.absolute
    )
    # A share stays PENDING until its invitee first signs in.
    await sharing.accept_pending_shares(user.id)
    return SignedIn(token=token, user=user, expires_at=idle_expires_at)


async def refresh(token: str | None) -> SignedIn:
    """A new token for the live session of `token`, which is refused from now on; the idle limit
    starts again (never past the session's absolute end). UNAUTHENTICATED when that session has
    ended, or the token was rotated already."""
    if not token:
        raise Unauthenticated()
    at = now()
    fresh = new_token()

    def idle_end(kept: bool, expires_at: datetime) -> datetime:
        return min(at + limits(kept).idle, expires_at)

    rotated = await repository.rotate_session(token_hash(token), token_hash(fresh), at, idle_end)
    if rotated is None:
        raise Unauthenticated()
    user, expires_at = rotated
    return SignedIn(token=fresh, user=user, expires_at=expires_at)


async def end(token: str | None) -> bool:
    if not token:
        return False
    return await repository.end_session(token_hash(token))


async def viewer_for_token(token: str | None) -> Viewer:
    """The Viewer of the live session of a bearer token; ANONYMOUS without one."""
    signed_in = await repository.signed_in(token_hash(token), moment(), now()) if token else None
    if signed_in is None:
        return ANONYMOUS
    return await viewer_for(signed_in.user, signed_in.holdings)
