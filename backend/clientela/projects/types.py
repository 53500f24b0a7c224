from __future__ import annotations

from typing import Annotated

import strawberry

from clientela import policy
from clientela.core.money import billed_amount
from clientela.core.pagination import page_size
from clientela.graphql.context import Info
from clientela.graphql.money import Money, in_currency
from clientela.graphql.pagination import asks_total
from clientela.portal.settings import TaskField
from clientela.projects.models import Project
from clientela.ratings.types import RatingSummaryType
from clientela.tasks import services as tasks
from clientela.tasks.types import TaskOrderEnum

LazyOrganization = Annotated["OrganizationType", strawberry.lazy("clientela.organizations.types")]
LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]
LazyTaskConnection = Annotated["TaskConnection", strawberry.lazy("clientela.tasks.types")]
LazyTaskStatusEnum = Annotated["TaskStatusEnum", strawberry.lazy("clientela.tasks.types")]
LazyTargetStateEnum = Annotated["ResponseTargetStateEnum", strawberry.lazy("clientela.targets.types")]


async def money(info: Info, amount) -> Money | None:
    return await in_currency(info, amount) if policy.sees_money(info.context.viewer) else None


@strawberry.type(name="ProjectFollowers", description="Client people and organizations the project is shared with.")
class ProjectFollowers:
    project_id: strawberry.Private[object]

    @strawberry.field
    async def users(self, info: Info) -> list[LazyUser]:
        return await info.context.loaders.follower_people_by_project.load(self.project_id)

    @strawberry.field
    async def organizations(self, info: Info) -> list[LazyOrganization]:
        return await info.context.loaders.follower_organizations_by_project.load(self.project_id)


@strawberry.type(name="Project")
class ProjectType:
    id: strawberry.ID
    name: str
    description: str

    @strawberry.field(description="The prefix of its new items' references (ACME in ACME-42).")
    def key(self: Project) -> str:
        return self.ref_prefix

    @strawberry.field
    async def client(self: Project, info: Info) -> LazyOrganization | None:
        return await info.context.loaders.organization_by_id.load(self.client_id) if self.client_id else None

    @strawberry.field(description="Null for viewers who may not see money.")
    async def budget(self: Project, info: Info) -> Money | None:
        return await money(info, self.budget)

    @strawberry.field(description="Null for viewers who may not see money.")
    async def hourly_rate(self: Project, info: Info) -> Money | None:
        return await money(info, self.hourly_rate)

    @strawberry.field
    async def time_spent_minutes(self: Project, info: Info) -> int | None:
        if not policy.sees_task_field(info.context.viewer, TaskField.TIME_SPENT):
            return None
        return (await info.context.loaders.time_by_project.load(self.id)).minutes

    @strawberry.field(description="Billable minutes × the hourly rate, half-up to the cent.")
    async def billed(self: Project, info: Info) -> Money | None:
        if not policy.sees_money(info.context.viewer) or self.hourly_rate is None:
            return None
        totals = await info.context.loaders.time_by_project.load(self.id)
        return await money(info, billed_amount(totals.billable_minutes, self.hourly_rate))

    @strawberry.field(description="Clients' ratings of its items; null for clients.")
    async def rating(self: Project, info: Info) -> RatingSummaryType | None:
        if not policy.sees_ratings(info.context.viewer):
            return None
        return RatingSummaryType.of(await info.context.loaders.rating_by_project.load(self.id))

    @strawberry.field
    async def members(self: Project, info: Info) -> list[LazyUser]:
        return await info.context.loaders.members_by_project.load(self.id)

    @strawberry.field
    def followers(self: Project) -> ProjectFollowers:
        return ProjectFollowers(project_id=self.id)

    @strawberry.field(
        description="The project's tasks that the viewer may see, oldest first unless `orderBy` says otherwise (see TaskOrder)."
    )
    async def tasks(
        self: Project,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: LazyTaskStatusEnum | None = None,
        labels: list[str] | None = None,
        target_state: LazyTargetStateEnum | None = None,
        order_by: TaskOrderEnum = TaskOrderEnum.OLDEST_FIRST,
    ) -> LazyTaskConnection:
        from clientela.tasks.types import TaskConnection

        # Checked here, so that a bad argument is this field's error; the pages of a list of
        # projects load together (graphql/loaders.py).
        filters = tasks.task_list_filters(info.context.viewer, status, labels, target_state, info.context.now, order_by)
        page_size(first)
        if after:
            filters.keyset.decode(after)
        page = await info.context.loaders.tasks_by_project.load((self, first, after, filters, asks_total(info)))
        return TaskConnection.of(page)
