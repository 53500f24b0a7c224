from __future__ import annotations

from typing import Annotated

import strawberry

from clientela import policy
from clientela.graphql.context import Info
from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.policy import ClientAccess
from clientela.ratings.types import RatingSummaryType

OrganizationKindEnum = strawberry.enum(OrganizationKind, name="OrganizationKind")
ClientAccessEnum = strawberry.enum(ClientAccess, name="ClientAccess")

LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]
LazyProject = Annotated["ProjectType", strawberry.lazy("clientela.projects.types")]
LazyShare = Annotated["ShareType", strawberry.lazy("clientela.sharing.types")]
LazyFinancialSummary = Annotated["FinancialSummaryType", strawberry.lazy("clientela.reports.types")]


@strawberry.type(name="Department")
class DepartmentType:
    id: strawberry.ID
    name: str


@strawberry.type(
    name="Organization", description="An own team (INTERNAL), a client (CLIENT) or an outside consultant firm (PARTNER)."
)
class OrganizationType:
    id: strawberry.ID
    name: str
    kind: OrganizationKindEnum
    language: str | None

    @strawberry.field(description="How the viewer holds this client: OWNER, CSR or CONSULTANT; null otherwise.")
    def access(self: Organization, info: Info) -> ClientAccessEnum | None:
        return info.context.viewer.access_to(self.id)

    @strawberry.field
    async def departments(self: Organization, info: Info) -> list[DepartmentType]:
        return await info.context.loaders.departments_by_organization.load(self.id)

    @strawberry.field(description="Its people; a partner firm's members (who see only themselves in it).")
    async def members(self: Organization, info: Info) -> list[LazyUser]:
        if self.kind is OrganizationKind.PARTNER:
            return await info.context.loaders.members_by_partner.load(self.id)
        return await info.context.loaders.members_by_organization.load(self.id)

    @strawberry.field(
        description="The viewer's live shares of this client, their own or a partner firm's: how they hold it "
        "(empty for its owner and for anyone holding no share).",
    )
    async def held_through(self: Organization, info: Info) -> list[LazyShare]:
        return await info.context.loaders.held_through_by_organization.load(self.id)

    @strawberry.field(description="The projects of this client that the viewer sees.")
    async def projects(self: Organization, info: Info) -> list[LazyProject]:
        return await info.context.loaders.visible_projects_by_client.load(self.id)

    @strawberry.field(description="Projects shared with this whole organization.")
    async def followed_projects(self: Organization, info: Info) -> list[LazyProject]:
        return await info.context.loaders.visible_projects_followed_by_organization.load(self.id)

    @strawberry.field(
        description="Shares of this client that are live or EXPIRED (not revoked), seen by admins and the owner.",
    )
    async def shares(self: Organization, info: Info) -> list[LazyShare]:
        return await info.context.loaders.held_shares_by_organization.load(self.id)

    @strawberry.field(description="Null for viewers who may not see money.")
    async def financial_summary(self: Organization, info: Info) -> LazyFinancialSummary | None:
        return await info.context.loaders.financial_summary_by_client.load(self.id)

    @strawberry.field(description="The ratings its people gave the items the viewer sees; null for clients.")
    async def rating(self: Organization, info: Info) -> RatingSummaryType | None:
        if not policy.sees_ratings(info.context.viewer):
            return None
        return RatingSummaryType.of(await info.context.loaders.rating_by_organization.load(self.id))


__all__ = ["DepartmentType", "OrganizationType", "Department"]
