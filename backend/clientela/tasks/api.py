from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from clientela.graphql.context import Info
from clientela.graphql.inputs import service_input
from clientela.graphql.pagination import asks_total
from clientela.tasks import services
from clientela.tasks.types import (
    ItemOwnershipEnum,
    TaskConnection,
    TaskOrderEnum,
    TaskPriorityEnum,
    TaskStatusEnum,
    TaskType,
    TimeEntryType,
)

if TYPE_CHECKING:
    from clientela.targets.types import ResponseTargetStateEnum

LazyTargetStateEnum = Annotated["ResponseTargetStateEnum", strawberry.lazy("clientela.targets.types")]


@strawberry.input
class CreateTaskInput:
    project_id: strawberry.ID
    title: str
    description: str | None = None
    status: TaskStatusEnum | None = None
    priority: TaskPriorityEnum | None = None
    due_date: dt.date | None = None
    assignee_id: strawberry.ID | None = None
    estimated_minutes: int | None = None
    labels: list[str] | None = None
    requester_ids: list[strawberry.ID] | None = None


@strawberry.input(description="Only the fields given change.")
class UpdateTaskInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    status: TaskStatusEnum | None = strawberry.UNSET
    priority: TaskPriorityEnum | None = strawberry.UNSET
    due_date: dt.date | None = strawberry.UNSET
    assignee_id: strawberry.ID | None = strawberry.UNSET
    estimated_minutes: int | None = strawberry.UNSET
    labels: list[str] | None = strawberry.UNSET


@strawberry.input
class LogTimeInput:
    task_id: strawberry.ID
    minutes: int
    date: dt.date | None = None
    note: str | None = None
    billable: bool | None = None


@strawberry.input
class SubmitItemInput:
    project_id: strawberry.ID
    title: str
    description: str | None = None
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The submitter's own pending uploads (POST /files) to attach to the item."
    )


@strawberry.type
class Query:
    @strawberry.field(description="A task by its id or by its reference (ACME-42): exactly one of them.")
    async def task(self, info: Info, id: strawberry.ID | None = None, ref: str | None = None) -> TaskType | None:
        return await services.find_task(info.context.viewer, id, ref)

    @strawberry.field(
        description=(
            "The tasks the viewer may see (for clients: the union of the portal scopes), oldest first unless `orderBy` says "
            "otherwise. `search`: words the title contains (or the description, where the viewer sees it), without regard to "
            "case or accents; `status` and `resolved` (DONE, or not) only where the viewer sees the status; `whose`: the "
            "viewer's own items, or their organization's (where the viewer sees requesters). Refused with BAD_USER_INPUT: "
            "a filter or an order on what the portal settings hide."
        )
    )
    async def portal_items(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        target_state: LazyTargetStateEnum | None = None,
        order_by: TaskOrderEnum = TaskOrderEnum.OLDEST_FIRST,
        search: str | None = None,
        status: TaskStatusEnum | None = None,
        resolved: bool | None = None,
        whose: ItemOwnershipEnum | None = None,
    ) -> TaskConnection:
        page = await services.list_tasks(
            info.context.viewer,
            first=first,
            after=after,
            target_state=target_state,
            now=info.context.now,
            order=order_by,
            search=search,
            status=status,
            resolved=resolved,
            whose=whose,
            counted=asks_total(info),
        )
        return TaskConnection.of(page)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_task(self, info: Info, input: CreateTaskInput) -> TaskType:
        return await services.create_task(
            info.context.viewer, input.project_id, service_input(input, services.TaskValues), input.requester_ids
        )

    @strawberry.mutation
    async def update_task(self, info: Info, id: strawberry.ID, input: UpdateTaskInput) -> TaskType:
        return await services.update_task(info.context.viewer, id, service_input(input, services.TaskChanges))

    @strawberry.mutation(description="A client files an item; they become its requester.")
    async def submit_item(self, info: Info, input: SubmitItemInput) -> TaskType:
        return await services.submit_item(info.context.viewer, input.project_id, input.title, input.description, input.file_ids)

    @strawberry.mutation(
        description="A client marks an item they requested as done (DONE), where the portal settings allow it (canResolveItems)."
    )
    async def resolve_item(self, info: Info, task_id: strawberry.ID) -> TaskType:
        return await services.set_resolved(info.context.viewer, task_id, True)

    @strawberry.mutation(description="A client reopens a resolved item they requested (OPEN again), as resolveItem allows.")
    async def reopen_item(self, info: Info, task_id: strawberry.ID) -> TaskType:
        return await services.set_resolved(info.context.viewer, task_id, False)

    @strawberry.mutation
    async def add_task_requesters(self, info: Info, task_id: strawberry.ID, user_ids: list[strawberry.ID]) -> TaskType:
        return await services.add_requesters(info.context.viewer, task_id, user_ids)

    @strawberry.mutation
    async def add_task_followers(self, info: Info, task_id: strawberry.ID, user_ids: list[strawberry.ID]) -> TaskType:
        return await services.add_followers(info.context.viewer, task_id, user_ids)

    @strawberry.mutation
    async def log_time(self, info: Info, input: LogTimeInput) -> TimeEntryType:
        return await services.log_time(
            info.context.viewer, input.task_id, minutes=input.minutes, date=input.date, note=input.note, billable=input.billable
        )
