from __future__ import annotations

import strawberry

from clientela.graphql.context import Info
from clientela.organizations.types import OrganizationType
from clientela.partners import services
from clientela.sharing.types import ShareInviteeInput


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Known people or new addresses join a partner firm (admins only); new addresses get an "
        "invitation email with a create-password link. Members reach the clients the firm holds.",
    )
    async def add_partner_members(
        self, info: Info, partner_id: strawberry.ID, invitees: list[ShareInviteeInput]
    ) -> OrganizationType:
        return await services.add_partner_members(
            info.context.viewer,
            partner_id,
            [services.NewMember(user_id=i.user_id, email=i.email, name=i.name, partner_id=i.partner_id) for i in invitees],
        )

    @strawberry.mutation(
        description="People leave a partner firm (admins; a member may leave): the access its shares gave "
        "them ends with this request.",
    )
    async def remove_partner_members(
        self, info: Info, partner_id: strawberry.ID, user_ids: list[strawberry.ID]
    ) -> OrganizationType:
        return await services.remove_partner_members(info.context.viewer, partner_id, user_ids)
