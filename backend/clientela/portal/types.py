from __future__ import annotations

import strawberry

from clientela.portal.settings import PortalScope, PortalSettings, TaskField

PortalScopeEnum = strawberry.enum(PortalScope, name="PortalScope")
TaskFieldEnum = strawberry.enum(TaskField, name="TaskField")


@strawberry.type(name="PortalSettings", description="What clients see and may do in the portal.")
class PortalSettingsType:
    @strawberry.field
    def scopes(self: PortalSettings) -> list[PortalScopeEnum]:
        return [s for s in PortalScope if s in self.scopes]

    @strawberry.field
    def visible_task_fields(self: PortalSettings) -> list[TaskFieldEnum]:
        return [f for f in TaskField if f in self.visible_task_fields]

    @strawberry.field
    def can_submit_items(self: PortalSettings) -> bool:
        return self.can_submit_items

    @strawberry.field
    def can_post_messages(self: PortalSettings) -> bool:
        return self.can_post_messages

    @strawberry.field(description="Whether clients resolve and reopen the items they requested (where they see STATUS).")
    def can_resolve_items(self: PortalSettings) -> bool:
        return self.can_resolve_items


@strawberry.input
class PortalSettingsInput:
    scopes: list[PortalScopeEnum] | None = None
    visible_task_fields: list[TaskFieldEnum] | None = None
    can_submit_items: bool | None = None
    can_post_messages: bool | None = None
    can_resolve_items: bool | None = None
