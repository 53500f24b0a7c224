"""Organizations, their departments and members, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q, Subquery

from clientela import policy
from clientela.core.dataloaders import Keys, by_id, grouped
from clientela.core.ids import as_uuid
from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.people.models import User
from clientela.policy import Viewer


class OrganizationLoaders:
    viewer: Viewer

    @cached_property
    def organization_by_id(self) -> DataLoader:
        return by_id(Organization, policy.organizations_visible(self.viewer))

    @cached_property
    def department_by_id(self) -> DataLoader:
        visible = Subquery(Organization.filter(policy.organizations_visible(self.viewer)).values("id"))
        return by_id(Department, Q(organization_id__in=visible))

    @cached_property
    def language_of_organization(self) -> DataLoader:
        """An organization's language, which a person's effective language falls back on
        whether or not the viewer may look the organization up."""

        async def load(keys: Keys) -> list[str | None]:
            rows = await Organization.filter(id__in=set(keys)).values_list("id", "language")
            found = {as_uuid(org_id): language for org_id, language in rows}
            return [found.get(k) for k in keys]

        return DataLoader(load)

    @cached_property
    def kind_of_organization(self) -> DataLoader:
        """An organization's kind, which tells which side a message's author speaks for whether
        or not the viewer may look the organization up."""

        async def load(keys: Keys) -> list[OrganizationKind | None]:
            rows = await Organization.filter(id__in=set(keys)).values_list("id", "kind")
            found = {as_uuid(org_id): kind for org_id, kind in rows}
            return [found.get(k) for k in keys]

        return DataLoader(load)

    @cached_property
    def departments_by_organization(self) -> DataLoader:
        async def fetch(keys: Keys):
            return [(d.organization_id, d) for d in await Department.filter(organization_id__in=keys).order_by("name", "id")]

        return grouped(fetch)

    @cached_property
    def members_by_organization(self) -> DataLoader:
        async def fetch(keys: Keys):
            people = User.filter(policy.people_visible(self.viewer), organization_id__in=keys)
            return [(u.organization_id, u) for u in await people.order_by("name", "id")]

        return grouped(fetch)
