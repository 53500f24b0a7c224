from __future__ import annotations

from decimal import Decimal

import strawberry

from clientela.graphql.context import Info
from clientela.graphql.inputs import service_input
from clientela.projects import services
from clientela.projects.types import ProjectType

KEY_DESCRIPTION = (
    "The prefix of its new items' references (ACME in ACME-42): a Latin capital letter, then up to nine capitals or "
    "digits. Items made before keep theirs."
)


@strawberry.input
class CreateProjectInput:
    name: str
    description: str | None = None
    client_id: strawberry.ID | None = None
    budget: Decimal | None = None
    hourly_rate: Decimal | None = None
    key: str | None = strawberry.field(default=None, description=KEY_DESCRIPTION)


@strawberry.input(description="Only the fields given change; clientId: null takes the client away.")
class UpdateProjectInput:
    name: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    client_id: strawberry.ID | None = strawberry.UNSET
    budget: Decimal | None = strawberry.UNSET
    hourly_rate: Decimal | None = strawberry.UNSET
    key: str | None = strawberry.field(
        default=strawberry.UNSET, description=KEY_DESCRIPTION + " Null: derived from the name again."
    )


@strawberry.type
class Query:
    @strawberry.field(description="Visible projects, optionally of one client.")
    async def projects(self, info: Info, client_id: strawberry.ID | None = None) -> list[ProjectType]:
        return await services.list_projects(info.context.viewer, client_id)

    @strawberry.field
    async def project(self, info: Info, id: strawberry.ID) -> ProjectType | None:
        return await services.get_project(info.context.viewer, id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_project(self, info: Info, input: CreateProjectInput) -> ProjectType:
        return await services.create_project(
            info.context.viewer,
            name=input.name,
            description=input.description,
            client_id=input.client_id,
            budget=input.budget,
            hourly_rate=input.hourly_rate,
            key=input.key,
        )

    @strawberry.mutation
    async def update_project(self, info: Info, id: strawberry.ID, input: UpdateProjectInput) -> ProjectType:
        return await services.update_project(info.context.viewer, id, service_input(input, services.ProjectChanges))

    @strawberry.mutation(description="All or nothing.")
    async def assign_client_to_projects(
        self, info: Info, client_id: strawberry.ID, project_ids: list[strawberry.ID]
    ) -> list[ProjectType]:
        return await services.assign_client_to_projects(info.context.viewer, client_id, project_ids)

    @strawberry.mutation
    async def add_project_members(self, info: Info, project_id: strawberry.ID, user_ids: list[strawberry.ID]) -> ProjectType:
        return await services.add_members(info.context.viewer, project_id, user_ids)

    @strawberry.mutation(description="Who may add members may remove them; a person may always remove themselves.")
    async def remove_project_members(
        self, info: Info, project_id: strawberry.ID, user_ids: list[strawberry.ID]
    ) -> ProjectType:
        return await services.remove_members(info.context.viewer, project_id, user_ids)

    @strawberry.mutation(description="Shares the project with client people or whole client organizations.")
    async def follow_project(
        self,
        info: Info,
        project_id: strawberry.ID,
        user_ids: list[strawberry.ID] | None = None,
        organization_ids: list[strawberry.ID] | None = None,
    ) -> ProjectType:
        return await services.follow(info.context.viewer, project_id, user_ids, organization_ids)

    @strawberry.mutation
    async def unfollow_project(
        self,
        info: Info,
        project_id: strawberry.ID,
        user_ids: list[strawberry.ID] | None = None,
        organization_ids: list[strawberry.ID] | None = None,
    ) -> ProjectType:
        return await services.unfollow(info.context.viewer, project_id, user_ids, organization_ids)
