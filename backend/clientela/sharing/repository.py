"""Shares as Tortoise reads and writes them; a live share is the policy's `live_shares()`.

No write here moves the workspace's visibility generation: a share gives access to people
outside the clients (policy.viewer_for reads none for a client), so no client's tasks change."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.core.lookup import fetch_visible
from clientela.core.pagination import LIST_LIMIT
from clientela.organizations.models import Organization, OrganizationKind
from clientela.partners import repository as partners
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.sharing.models import Share, ShareExpiryReminder, ShareRole, ShareStatus


def transaction():
    """One transaction around a sharing change and what goes with it (other domains' rows, its
    audit entries, its emails), so that all of it is written or none."""
    return in_transaction()


async def clients_held(viewer: Viewer) -> list[Organization]:
    """The client organizations the viewer owns or holds a live share of (as read at sign-in)."""
    return await Organization.filter(id__in=list(viewer.client_access)).order_by("name", "id").limit(LIST_LIMIT)


async def visible_share(viewer: Viewer, share_id: object) -> Share:
    return await fetch_visible(Share, policy.shares_visible(viewer), share_id, "Share")


async def hold_share(
    organization: Organization,
    holder: User | Organization,
    role: ShareRole,
    created_by_id: uuid.UUID | None,
    expires_at: datetime | None = None,
) -> tuple[Share, bool]:
    """The live share of the organization held by `holder` (a person, or a partner firm), else a
    new one; and whether it is new. A held share that expired is revoked first: a person or a
    firm holds one share of a client (unique indexes). A firm's share needs no accepting."""
    by = {"partner_id": holder.id} if isinstance(holder, Organization) else {"user_id": holder.id}
    held = await Share.get_or_none(organization_id=organization.id, status__in=policy.SHARE_STATES_HELD, **by)
    if held is not None and policy.share_status(held.status, held.expires_at) is not ShareStatus.EXPIRED:
        return held, False
    if held is not None:
        await Share.filter(id=held.id).update(status=ShareStatus.REVOKED)
    status = ShareStatus.ACCEPTED if isinstance(holder, Organization) else ShareStatus.PENDING
    share = await Share.create(
        organization=organization, role=role, status=status, created_by_id=created_by_id, expires_at=expires_at, **by
    )
    return share, True


async def change_share(share: Share, changes: dict[str, object]) -> None:
    """`changes` written to the share; its holder and organization read along (`share.user` or
    `share.partner`, `share.organization`), for the audit entry that goes with the change."""
    await Share.filter(id=share.id).update(**changes)
    await share.fetch_related("user", "partner", "organization")


async def accept_pending_shares(user_id: uuid.UUID) -> None:
    await Share.filter(user_id=user_id, status=ShareStatus.PENDING).update(status=ShareStatus.ACCEPTED)


async def holds_live_share(user_id: uuid.UUID) -> bool:
    return await Share.filter(policy.live_shares(), user_id=user_id).exists()



async def shares_to_remind(now: datetime, until: datetime, limit: int = 500) -> list[tuple[Share, list[User]]]:
    """Live shares that expire by `until` and whose holders have not been reminded of that date
    yet, with their holder and organization, and whom to remind: the holder (a person, or each
    member of the firm), then the client's owner (read for all the shares at once)."""
    due = await (
        Share.filter(policy.live_shares(now), expires_at__lte=until, organization__kind=OrganizationKind.CLIENT)
        .order_by("expires_at", "id")
        .limit(limit)
        .prefetch_related("user", "partner", "organization")
    )
    if not due:
        return []
    reminded = set(await ShareExpiryReminder.filter(share_id__in=[s.id for s in due]).values_list("share_id", "expires_at"))
    due = [s for s in due if (s.id, s.expires_at) not in reminded]
    owners = {u.id: u for u in await User.filter(id__in={s.organization.owner_id for s in due if s.organization.owner_id})}
    members = await partners.members_of_firms([s.partner_id for s in due if s.partner_id])

    def recipients(share: Share) -> list[User]:
        holders = members.get(share.partner_id, []) if share.partner_id else [share.user]
        owner = owners.get(share.organization.owner_id)
        return holders + ([owner] if owner is not None and owner not in holders else [])

    return [(share, recipients(share)) for share in due]


async def remind_once(share: Share, expires_at: datetime, write: Callable[[ShareExpiryReminder], Awaitable[None]]) -> bool:
    """Record the reminder of `share` for `expires_at` and `write` its emails in one
    transaction; False, with nothing written, when another pass recorded it first (the unique
    index on the share and date decides between racing workers)."""
    try:
        async with in_transaction():
            reminder = await ShareExpiryReminder.create(share_id=share.id, expires_at=expires_at)
            await write(reminder)
    except IntegrityError:
        return False
    return True
