"""Who is in which partner firm, as Tortoise reads and writes it.

No write here moves the workspace's visibility generation: a firm's people are guests, and
what they reach is read per request from their memberships (policy.client_holdings); no
client's view changes."""

from __future__ import annotations

import uuid
from collections import defaultdict

from tortoise.transactions import in_transaction

from clientela import policy
from clientela.organizations.models import Organization, OrganizationKind
from clientela.partners.models import PartnerMember
from clientela.people.models import User
from clientela.sharing.models import Share


def transaction():
    """One transaction around a membership change, its audit entries and its emails."""
    return in_transaction()


async def members_of_firms(partner_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[User]]:
    """The members of each firm, by name."""
    if not partner_ids:
        return {}
    rows = await PartnerMember.filter(partner_id__in=set(partner_ids)).select_related("user").order_by("user__name", "user_id")
    members: dict[uuid.UUID, list[User]] = defaultdict(list)
    for row in rows:
        members[row.partner_id].append(row.user)
    return members


async def in_a_firm(user_id: uuid.UUID) -> bool:
    return await policy.firms_of([user_id]).exists()


async def join(partner: Organization, person: User) -> bool:
    """Make the person a member of the firm; False if they are one already."""
    _, created = await PartnerMember.get_or_create(partner_id=partner.id, user_id=person.id)
    return created


async def leave(partner: Organization, people: list[User]) -> list[User]:
    """Take the people out of the firm; those who were members."""
    ids = set(
        await PartnerMember.filter(partner_id=partner.id, user_id__in=[p.id for p in people]).values_list("user_id", flat=True)
    )
    await PartnerMember.filter(partner_id=partner.id, user_id__in=ids).delete()
    return [person for person in people if person.id in ids]


async def clients_held_by(partner: Organization) -> list[tuple[Organization, Share]]:
    """The clients the firm holds a live share of, with that share."""
    shares = await (
        Share.filter(policy.live_shares(), partner_id=partner.id, organization__kind=OrganizationKind.CLIENT)
        .select_related("organization")
        .order_by("organization__name", "id")
    )
    return [(share.organization, share) for share in shares]
