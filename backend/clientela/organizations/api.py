from __future__ import annotations

import strawberry

from clientela.graphql.context import Info
from clientela.organizations import services
from clientela.organizations.types import (
    DepartmentType,
    OrganizationKindEnum,
    OrganizationType,
)


@strawberry.input
class CreateOrganizationInput:
    name: str
    kind: OrganizationKindEnum
    language: str | None = None


@strawberry.input
class UpdateOrganizationInput:
    name: str | None = None
    kind: OrganizationKindEnum | None = None
    language: str | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def organizations(self, info: Info, kind: OrganizationKindEnum | None = None) -> list[OrganizationType]:
        return await services.list_organizations(info.context.viewer, kind)

    @strawberry.field
    async def organization(self, info: Info, id: strawberry.ID) -> OrganizationType | None:
        return await services.get_organization(info.context.viewer, id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_organization(self, info: Info, input: CreateOrganizationInput) -> OrganizationType:
        return await services.create_organization(
            info.context.viewer, name=input.name, kind=input.kind, language=input.language
        )

    @strawberry.mutation
    async def update_organization(self, info: Info, id: strawberry.ID, input: UpdateOrganizationInput) -> OrganizationType:
        return await services.update_organization(
            info.context.viewer, id, name=input.name, kind=input.kind, language=input.language
        )

    @strawberry.mutation
    async def create_department(self, info: Info, organization_id: strawberry.ID, name: str) -> DepartmentType:
        return await services.create_department(info.context.viewer, organization_id, name)
