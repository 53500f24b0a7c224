from __future__ import annotations

from typing import Annotated

import strawberry

from clientela import policy
from clientela.graphql.context import Info
from clientela.people.language import effective_language
from clientela.people.models import ContactPrivacy, User

ContactPrivacyEnum = strawberry.enum(ContactPrivacy, name="ContactPrivacy")

LazyOrganization = Annotated["OrganizationType", strawberry.lazy("clientela.organizations.types")]
LazyDepartment = Annotated["DepartmentType", strawberry.lazy("clientela.organizations.types")]
LazyWorkspace = Annotated["WorkspaceType", strawberry.lazy("clientela.workspaces.types")]
LazyShare = Annotated["ShareType", strawberry.lazy("clientela.sharing.types")]


@strawberry.type(name="User", description="A person of the workspace: staff, client contact or consultant.")
class UserType:
    id: strawberry.ID
    name: str
    invited: bool

    @strawberry.field(description="Null where the person's contact privacy hides it from the viewer.")
    def email(self: User, info: Info) -> str | None:
        return self.email if policy.sees_contact(info.context.viewer, self) else None

    @strawberry.field(description="Null where the person's contact privacy hides it from the viewer.")
    def phone(self: User, info: Info) -> str | None:
        return self.phone if policy.sees_contact(info.context.viewer, self) else None

    @strawberry.field
    def privacy(self: User, info: Info) -> ContactPrivacyEnum | None:
        return self.privacy if policy.sees_privacy_level(info.context.viewer, self) else None

    @strawberry.field
    def is_admin(self: User) -> bool:
        return self.is_admin

    @strawberry.field(description="The effective interface language: own, else organization's, else workspace's.")
    async def language(self: User, info: Info) -> str:
        loaders = info.context.loaders

        async def workspace_language(workspace_id) -> str:
            return (await loaders.workspace_by_id.load(workspace_id)).language

        return await effective_language(self, loaders.language_of_organization.load, workspace_language)

    @strawberry.field
    async def organization(self: User, info: Info) -> LazyOrganization | None:
        return await info.context.loaders.organization_by_id.load(self.organization_id) if self.organization_id else None

    @strawberry.field
    async def department(self: User, info: Info) -> LazyDepartment | None:
        return await info.context.loaders.department_by_id.load(self.department_id) if self.department_id else None

    @strawberry.field
    async def workspace(self: User, info: Info) -> LazyWorkspace | None:
        if not policy.sees_workspace_of(info.context.viewer, self):
            return None
        return await info.context.loaders.workspace_by_id.load(self.workspace_id)

    @strawberry.field(description="Live shares of client organizations held by this person.")
    async def shared_organizations(self: User, info: Info) -> list[LazyShare]:
        return await info.context.loaders.live_shares_by_user.load(self.id)
