"""Shares as Tortoise reads and writes them; a live share is the policy's `live_shares()`.

No write here moves the workspace's visibility generation: a share gives access to people
outside the clients (policy.viewer_for reads none for a client), so no client's tasks change."""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from clientela import policy
from clientela.core.lookup import fetch_visible
from clientela.core.pagination import LIST_LIMIT
from clientela.organizations.models import Organization
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.sharing.models import Share, ShareRole, ShareStatus


def transaction():
    """One transaction around a sharing change and what goes with it (other domains' rows, its
    audit entries, its emails), so that all of it is written or none."""
    return in_transaction()


async def clients_held(viewer: Viewer) -> list[Organization]:
    """The client organizations the viewer owns or holds a live share of (as read at sign-in)."""
    return await Organization.filter(id__in=list(viewer.client_access)).order_by("name", "id").limit(LIST_LIMIT)


async def visible_share(viewer: Viewer, share_id: object) -> Share:
    return await fetch_visible(Share, policy.shares_visible(viewer), share_id, "Share")


async def hold_share(organization: Organization, person: User, role: ShareRole, created_by_id: uuid.UUID | None) -> tuple[Share, bool]:
    """The person's live share of the organization, else a new one; and whether it is new. A held
    share that expired is revoked first: a person holds one share of a client (a unique index)."""
    held = await Share.get_or_none(organization_id=organization.id, user_id=person.id, status__in=policy.SHARE_STATES_HELD)
    if held is not None and await Share.filter(policy.live_shares(), id=held.id).exists():
        return held, False
    if held is not None:
        await Share.filter(id=held.id).update(status=ShareStatus.REVOKED)
    return await Share.create(organization=organization, user=person, role=role, created_by_id=created_by_id), True


async def change_share(share: Share, changes: dict[str, object]) -> None:
    """`changes` written to the share; its person and organization read along (`share.user`,
    `share.organization`), for the audit entry that goes with the change."""
    await Share.filter(id=share.id).update(**changes)
    await share.fetch_related("user", "organization")


async def accept_pending_shares(user_id: uuid.UUID) -> None:
    await Share.filter(user_id=user_id, status=ShareStatus.PENDING).update(status=ShareStatus.ACCEPTED)


async def holds_live_share(user_id: uuid.UUID) -> bool:
    return await Share.filter(policy.live_shares(), user_id=user_id).exists()
