"""A partner firm's members, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader
from tortoise.expressions import Subquery

from clientela import policy
from clientela.core.dataloaders import Keys, grouped
from clientela.partners.models import PartnerMember
from clientela.people.models import User
from clientela.policy import Viewer


class PartnerLoaders:
    viewer: Viewer

    @cached_property
    def members_by_partner(self) -> DataLoader:
        """The members of each firm the viewer may see (policy.people_visible): admins and staff
        see them all, a member only themselves."""

        async def fetch(keys: Keys):
            visible = Subquery(User.filter(policy.people_visible(self.viewer)).values("id"))
            rows = PartnerMember.filter(partner_id__in=keys, user_id__in=visible).select_related("user")
            return [(row.partner_id, row.user) for row in await rows.order_by("user__name", "user_id")]

        return grouped(fetch)
