"""Live shares of clients and of people, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q

from clientela import policy
from clientela.core.dataloaders import Keys, grouped
from clientela.policy import Viewer
from clientela.sharing.models import Share


class SharingLoaders:
    viewer: Viewer

    @cached_property
    def held_shares_by_organization(self) -> DataLoader:
        """Live and expired shares (not revoked): an expired one shows EXPIRED, for its owner to
        extend; it grants nothing."""

        async def fetch(keys: Keys):
            held = Q(status__in=policy.SHARE_STATES_HELD)
            shares = Share.filter(policy.shares_visible(self.viewer), held, organization_id__in=keys)
            return [(s.organization_id, s) for s in await shares.order_by("id")]

        return grouped(fetch)

    @cached_property
    def held_through_by_organization(self) -> DataLoader:
        """The viewer's own live shares of each client: theirs, and their partner firms'."""

        async def fetch(keys: Keys):
            shares = Share.filter(policy.live_shares(), policy.held_by(self.viewer), organization_id__in=keys)
            return [(s.organization_id, s) for s in await shares.order_by("id")]

        return grouped(fetch)

    @cached_property
    def live_shares_by_user(self) -> DataLoader:
        async def fetch(keys: Keys):
            shares = Share.filter(policy.shares_visible(self.viewer), policy.live_shares(), user_id__in=keys)
            return [(s.user_id, s) for s in await shares.order_by("id")]

        return grouped(fetch)
