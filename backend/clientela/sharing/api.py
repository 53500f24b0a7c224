from __future__ import annotations

import datetime as dt

import strawberry

from clientela.graphql.context import Info
from clientela.organizations.types import OrganizationType
from clientela.people.types import UserType
from clientela.sharing import services
from clientela.sharing.types import ShareInviteeInput, ShareRoleEnum, ShareType


@strawberry.input
class InviteToProjectInput:
    project_id: strawberry.ID
    organization_id: strawberry.ID
    name: str
    email: str
    department_id: strawberry.ID | None = None


@strawberry.type
class Query:
    @strawberry.field(description="Client organizations the viewer owns or holds a live share of.")
    async def my_clients(self, info: Info) -> list[OrganizationType]:
        return await services.my_clients(info.context.viewer)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Shares a client, and all its projects, with known people or new addresses (default role CONSULTANT).",
    )
    async def share_organization(
        self,
        info: Info,
        organization_id: strawberry.ID,
        invitees: list[ShareInviteeInput],
        role: ShareRoleEnum | None = None,
        expires_at: dt.datetime | None = None,
    ) -> list[ShareType]:
        return await services.share_organization(
            info.context.viewer,
            organization_id,
            [services.Invitee(user_id=i.user_id, email=i.email, name=i.name, partner_id=i.partner_id) for i in invitees],
            role,
            expires_at,
        )

    @strawberry.mutation(
        description="Sets, moves or (null) clears when a share ends; for who may share the client. "
        "Past that moment the share grants nothing and shows EXPIRED.",
    )
    async def set_share_expiry(self, info: Info, share_id: strawberry.ID, expires_at: dt.datetime | None = None) -> ShareType:
        return await services.set_share_expiry(info.context.viewer, share_id, expires_at)

    @strawberry.mutation
    async def set_share_role(self, info: Info, share_id: strawberry.ID, role: ShareRoleEnum) -> ShareType:
        return await services.set_share_role(info.context.viewer, share_id, role)

    @strawberry.mutation(description="Takes effect on the invitee's next request.")
    async def revoke_share(self, info: Info, share_id: strawberry.ID) -> bool:
        return await services.revoke_share(info.context.viewer, share_id)

    @strawberry.mutation(
        description="Adds the person (new or known) to the organization and the project, and emails an invitation.",
    )
    async def invite_to_project(self, info: Info, input: InviteToProjectInput) -> UserType:
        return await services.invite_to_project(
            info.context.viewer,
            project_id=input.project_id,
            organization_id=input.organization_id,
            department_id=input.department_id,
            name=input.name,
            email=input.email,
        )
