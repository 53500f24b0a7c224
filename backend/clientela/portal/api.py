from __future__ import annotations

import strawberry

from clientela.graphql.context import Info
from clientela.portal import services
from clientela.portal.types import PortalSettingsInput, PortalSettingsType


@strawberry.type
class Query:
    @strawberry.field
    async def portal_settings(self, info: Info) -> PortalSettingsType:
        return await services.portal_settings(info.context.viewer)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admins only; audited.")
    async def update_portal_settings(self, info: Info, input: PortalSettingsInput) -> PortalSettingsType:
        return await services.update_portal_settings(
            info.context.viewer,
            scopes=input.scopes,
            visible_task_fields=input.visible_task_fields,
            can_submit_items=input.can_submit_items,
            can_post_messages=input.can_post_messages,
            can_resolve_items=input.can_resolve_items,
        )
