"""Sessions, password tokens, sign-up's new workspace and the throttle's counted attempts, as
Tortoise reads and writes them. Tokens arrive here already hashed (accounts/tokens.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.queryset import ValuesListQuery
from tortoise.transactions import in_transaction

from clientela.accounts.models import PasswordToken, Session, ThrottleHit
from clientela.automations.repository import add_default_rules
from clientela.core.sql import PreparedUnion, attach, from_row
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people.models import ContactPrivacy, User
from clientela.policy import client_holdings, firms_of
from clientela.workspaces.models import Workspace


def _live_sessions(now: datetime):
    return Session.filter(idle_expires_at__gt=now, expires_at__gt=now)


async def start_session(
    user: User, token_hash: str, now: datetime, *, kept: bool, idle_expires_at: datetime, expires_at: datetime
) -> None:
    """A new session of the person; their sessions that have ended are dropped meanwhile, so that
    the table keeps only what can still sign in (and what a person never comes back to ends
    with their next sign-in or password change)."""
    await Session.create(user=user, token_hash=token_hash, kept=kept, idle_expires_at=idle_expires_at, expires_at=expires_at)
    await Session.filter(
        Q(idle_expires_at__lte=now) | Q(expires_at__lte=now) | Q(expires_at__isnull=True), user_id=user.id
    ).delete()
    await User.filter(id=user.id).update(last_sign_in_at=now)


async def rotate_session(
    token_hash: str, new_token_hash: str, now: datetime, idle_end: Callable[[bool, datetime], datetime]
) -> tuple[User, datetime] | None:
    """Give the live session of `token_hash` the new hash and the idle end `idle_end(kept,
    expires_at)`; its person and that end, or None when no live session has that hash. The row
    stays locked meanwhile, so that of two refreshes with one token only one succeeds."""
    async with in_transaction():
        session = await _live_sessions(now).filter(token_hash=token_hash).select_for_update().first()
        if session is None:
            return None
        idle_expires_at = idle_end(session.kept, session.expires_at)
        rotated = await Session.filter(id=session.id, token_hash=token_hash).update(
            token_hash=new_token_hash, idle_expires_at=idle_expires_at
        )
        if not rotated:
            return None
        user = await User.get(id=session.user_id)
    return user, idle_expires_at


async def end_session(token_hash: str) -> bool:
    return await Session.filter(token_hash=token_hash).delete() > 0


@cache
def _read() -> dict[str, tuple[type[Model], list[tuple[str, str]]]]:
    """Fields and columns of the signed-in person, their organization and their workspace (what
    a request's Viewer is made of), by their path from the session; read once Tortoise has set
    the models up (their foreign keys' columns are known from then). The person's id and name
    come first, where the holdings' rows of the same statement have an id and a role
    (PostgreSQL unites only columns of one type)."""
    return {
        path: (model, sorted(model._meta.fields_db_projection.items(), key=lambda field: field[0] not in ("id", "name")))
        for path, model in (("user", User), ("user__organization", Organization), ("user__workspace", Workspace))
    }


def _sign_in_queries(token_hash: str, now: datetime, session_now: datetime) -> list[ValuesListQuery]:
    session = _live_sessions(session_now).filter(token_hash=token_hash)
    holder = Subquery(session.values("user_id"))
    held = client_holdings(holder, now=now)
    person = [f"{path}__{name}" for path, (_, fields) in _read().items() for name, _ in fields]
    return [
        session.values_list(*person),
        held.shares.values_list("organization_id", "role"),
        held.firm_shares.values_list("organization_id", "role"),
        held.owned.values_list("id"),
        firms_of(holder).values_list("partner_id"),
    ]


# Every request signs in: one statement, built once (placeholders no token hash or moment equals).
_SIGN_IN = PreparedUnion(_sign_in_queries, "\0token-hash", datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC))


@dataclass
class SignedIn:
    """The person of a session, with their organization and workspace, and how they hold
    clients: `holdings` are (0 own share | 1 a firm's share | 2 owned | 3 a firm they are in,
    organization id, role) rows."""

    user: User
    holdings: list[tuple]


async def signed_in(token_hash: str, now: datetime, session_now: datetime) -> SignedIn | None:
    """Who is signed in with the token (its session live at `session_now`), and what they hold
    (at `now`), in one statement."""
    rows = await _SIGN_IN.rows(token_hash, now, session_now)
    person = next((row[1:] for row in rows if row[0] == 0), None)
    if person is None:
        return None
    read = {}
    for path, (model, fields) in _read().items():
        values, person = person[: len(fields)], person[len(fields) :]
        read[path] = from_row(model, [column for _, column in fields], values) if values[0] is not None else None
    user = read["user"]
    attach(user, "organization", read["user__organization"])
    attach(user, "workspace", read["user__workspace"])
    return SignedIn(user, [(branch - 1, *rest[:2]) for branch, *rest in rows if branch > 0])


async def create_workspace(
    *, workspace_name: str, language: str, admin_name: str, email: str, search_text: str, password_hash: str
) -> User:
    """A new workspace, its own team, its admin, its automation identity and first rules, all or
    nothing."""
    async with in_transaction():
        workspace = await Workspace.create(name=workspace_name, language=language)
        team = await Organization.create(workspace=workspace, name=workspace_name, kind=OrganizationKind.INTERNAL)
        await add_default_rules(workspace)
        return await User.create(
            workspace=workspace,
            organization=team,
            name=admin_name,
            email=email,
            search_text=search_text,
            password_hash=password_hash,
            is_admin=True,
            invited=True,
            privacy=ContactPrivacy.HIDDEN_FROM_CLIENTS,
        )


async def people_with_password(address: str, workspace_id: uuid.UUID | None) -> list[User]:
    """The people of this address who have a password, of one workspace if given."""
    people = User.filter(email=address, password_hash__isnull=False)
    if workspace_id is not None:
        people = people.filter(workspace_id=workspace_id)
    return await people


async def set_password_hash(user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    await user.save(update_fields=["password_hash"])


async def set_language(user: User, language: str | None) -> User:
    await User.filter(id=user.id).update(language=language)
    user.language = language
    return user


async def for_each_person_of(address: str, write: Callable[[User], Awaitable[object]]) -> None:
    """`write` run for every person of the address, all in one transaction: each of them gets
    their email, or none does."""
    async with in_transaction():
        for person in await User.filter(email=address):
            await write(person)


async def replace_password_token(user_id: uuid.UUID, token_hash: str, now: datetime, expires_at: datetime) -> None:
    """The person's one usable password token: every earlier one is used up."""
    async with in_transaction():
        await PasswordToken.filter(user_id=user_id, used_at__isnull=True).update(used_at=now)
        await PasswordToken.create(user_id=user_id, token_hash=token_hash, expires_at=expires_at)


def _live_password_token(token_hash: str, now: datetime):
    return PasswordToken.filter(token_hash=token_hash, used_at__isnull=True, expires_at__gt=now)


async def password_token_is_live(token_hash: str, now: datetime) -> bool:
    return await _live_password_token(token_hash, now).exists()


async def use_password_token(token_hash: str, now: datetime, password_hash: str) -> bool:
    """Set the password of the token's person if the token is still live (False otherwise), use up
    every token of theirs and end every session, all or nothing. The token's row stays locked
    meanwhile, so that a token is used once."""
    async with in_transaction():
        record = await _live_password_token(token_hash, now).select_for_update().first()
        if record is None:
            return False
        # Setting a password is authenticating: a sign-in without workspaceId now tries this person.
        await User.filter(id=record.user_id).update(password_hash=password_hash, last_sign_in_at=now)
        await PasswordToken.filter(user_id=record.user_id, used_at__isnull=True).update(used_at=now)
        await Session.filter(user_id=record.user_id).delete()
    return True


async def add_throttle_hits(keys: list[str]) -> list[ThrottleHit]:
    return [await ThrottleHit.create(key=key) for key in keys]


async def count_throttle_hits(key: str, since: datetime) -> int:
    return await ThrottleHit.filter(key=key, created_at__gte=since).count()


async def drop_throttle_hits_before(keys: list[str], since: datetime) -> None:
    await ThrottleHit.filter(key__in=keys, created_at__lt=since).delete()


async def remove_throttle_hits(hits: list[ThrottleHit]) -> None:
    await ThrottleHit.filter(id__in=[hit.id for hit in hits]).delete()
