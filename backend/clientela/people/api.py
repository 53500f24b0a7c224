from __future__ import annotations

import strawberry

from clientela.graphql.context import Info
from clientela.people import services
from clientela.people.types import ContactPrivacyEnum, UserType


@strawberry.input
class AddContactInput:
    name: str
    organization_id: strawberry.ID
    email: str | None = None
    phone: str | None = None
    department_id: strawberry.ID | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def people(self, info: Info, organization_id: strawberry.ID | None = None) -> list[UserType]:
        return await services.list_people(info.context.viewer, organization_id)

    @strawberry.field
    async def user(self, info: Info, id: strawberry.ID) -> UserType | None:
        return await services.get_person(info.context.viewer, id)

    @strawberry.field(description="People a client may be shared with, by name or email.")
    async def share_candidates(self, info: Info, search: str) -> list[UserType]:
        return await services.search_share_candidates(info.context.viewer, search)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Creates the person without inviting them: no email is sent.")
    async def add_contact(self, info: Info, input: AddContactInput) -> UserType:
        return await services.add_contact(
            info.context.viewer,
            name=input.name,
            email=input.email,
            phone=input.phone,
            organization_id=input.organization_id,
            department_id=input.department_id,
        )

    @strawberry.mutation
    async def set_contact_privacy(
        self, info: Info, user_ids: list[strawberry.ID], privacy: ContactPrivacyEnum
    ) -> list[UserType]:
        return await services.set_contact_privacy(info.context.viewer, user_ids, privacy)
