from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from clientela import policy
from clientela.graphql.context import Info
from clientela.sharing.models import Share, ShareRole, ShareStatus

ShareRoleEnum = strawberry.enum(ShareRole, name="ShareRole")
ShareStatusEnum = strawberry.enum(ShareStatus, name="ShareStatus")

LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]
LazyOrganization = Annotated["OrganizationType", strawberry.lazy("clientela.organizations.types")]


@strawberry.input(description="A person (userId, or an email with a name for someone new) or a whole partner firm (partnerId).")
class ShareInviteeInput:
    user_id: strawberry.ID | None = None
    email: str | None = None
    name: str | None = None
    partner_id: strawberry.ID | None = None


@strawberry.type(
    name="Share", description="A client organization shared with a consultant (user) or a whole partner firm (partner)."
)
class ShareType:
    id: strawberry.ID
    role: ShareRoleEnum
    created_at: dt.datetime
    expires_at: dt.datetime | None

    @strawberry.field(description="EXPIRED once expiresAt has passed: the share grants nothing.")
    def status(self: Share) -> ShareStatusEnum:
        return policy.share_status(self.status, self.expires_at)

    @strawberry.field(description="The person holding the share; null for a partner firm's share.")
    async def user(self: Share, info: Info) -> LazyUser | None:
        return await info.context.loaders.user_by_id.load(self.user_id) if self.user_id else None

    @strawberry.field(description="The partner firm holding the share (each member holds it); null for a person's share.")
    async def partner(self: Share, info: Info) -> LazyOrganization | None:
        return await info.context.loaders.organization_by_id.load(self.partner_id) if self.partner_id else None

    @strawberry.field
    async def organization(self: Share, info: Info) -> LazyOrganization:
        return await info.context.loaders.organization_by_id.load(self.organization_id)
