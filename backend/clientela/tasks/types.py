from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Annotated

import strawberry
from strawberry.utils.await_maybe import await_maybe

from clientela import policy
from clientela.core.money import billed_amount
from clientela.core.pagination import Page
from clientela.graphql.context import Info
from clientela.graphql.money import Money, in_currency
from clientela.graphql.pagination import Edge, PageInfo, edges, page_info
from clientela.people.models import User
from clientela.portal.settings import TaskField
from clientela.projects.models import Project
from clientela.targets import services as targets
from clientela.tasks.models import ItemOwnership, Task, TaskOrder, TaskPriority, TaskStatus, TimeEntry

TaskStatusEnum = strawberry.enum(TaskStatus, name="TaskStatus")
TaskPriorityEnum = strawberry.enum(TaskPriority, name="TaskPriority")
TaskOrderEnum = strawberry.enum(
    TaskOrder,
    name="TaskOrder",
    description=(
        "OLDEST_FIRST and NEWEST_FIRST: by creation; RECENTLY_UPDATED: the last change of the item or of its public "
        "conversation first; DUE_DATE: the soonest due date first, those without one last (where the viewer sees due "
        "dates); NEXT_DUE: the items with a running response-time target, the soonest due first (where the viewer "
        "sees targets)."
    ),
)
ItemOwnershipEnum = strawberry.enum(
    ItemOwnership,
    name="ItemOwnership",
    description="MINE: the viewer requested it, is its follower or follows it; MY_ORGANIZATION: someone of the viewer's organization requested it.",
)

LazyProject = Annotated["ProjectType", strawberry.lazy("clientela.projects.types")]
LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]
LazyMessage = Annotated["MessageType", strawberry.lazy("clientela.conversations.types")]
LazyResponseTarget = Annotated["ResponseTargetType", strawberry.lazy("clientela.targets.types")]
LazyFile = Annotated["FileType", strawberry.lazy("clientela.files.types")]

LazyNotifications = Annotated["ItemNotificationsEnum", strawberry.lazy("clientela.conversations.types")]
LazyRating = Annotated["ItemRatingType", strawberry.lazy("clientela.ratings.types")]


def _sees(info: Info, field: TaskField) -> bool:
    return policy.sees_task_field(info.context.viewer, field)


async def _requested_by_viewer(task: Task, info: Info) -> bool:
    """Whether the viewer is among the task's requesters, whether or not the portal shows them."""
    links = await info.context.loaders.links_by_task.load(task.id)
    return info.context.viewer.user_id in links["requesters"]
def _project(task: Task, info: Info) -> Awaitable[Project] | Project:
    # Task lists, and a task fetched alone, come with their project; otherwise the loader.
    project = task.project
    return project if isinstance(project, Project) else info.context.loaders.project_by_id.load(task.project_id)


@strawberry.type(name="TimeEntry")
class TimeEntryType:
    id: strawberry.ID
    minutes: int
    note: str
    billable: bool
    date: dt.date

    @strawberry.field
    async def user(self: TimeEntry, info: Info) -> LazyUser:
        return await info.context.loaders.user_by_id.load(self.user_id)


@strawberry.type(name="Task", description="A task, or an item as clients call it. Fields the viewer may not see are null.")
class TaskType:
    id: strawberry.ID
    title: str
    created_at: dt.datetime
    updated_at: dt.datetime = strawberry.field(
        description="The last change of the item or of its public conversation (not of internal notes, time or estimates)."
    )

    @strawberry.field(description="Its human reference (ACME-42), unique in the workspace; task(ref:) finds it.")
    def ref(self: Task) -> str:
        return self.ref

    @strawberry.field
    def description(self: Task, info: Info) -> str | None:
        return self.description if _sees(info, TaskField.DESCRIPTION) else None

    @strawberry.field
    def status(self: Task, info: Info) -> TaskStatusEnum | None:
        return self.status if _sees(info, TaskField.STATUS) else None

    @strawberry.field
    def priority(self: Task, info: Info) -> TaskPriorityEnum | None:
        return self.priority if _sees(info, TaskField.PRIORITY) else None

    @strawberry.field
    def due_date(self: Task, info: Info) -> dt.date | None:
        return self.due_date if _sees(info, TaskField.DUE_DATE) else None

    @strawberry.field
    def labels(self: Task, info: Info) -> list[str] | None:
        return self.labels if _sees(info, TaskField.LABELS) else None

    @strawberry.field
    def project(self: Task, info: Info) -> LazyProject:
        return _project(self, info)

    @strawberry.field
    async def assignee(self: Task, info: Info) -> LazyUser | None:
        if self.assignee_id is None or not _sees(info, TaskField.ASSIGNEE):
            return None
        # A task fetched alone comes with its assignee (tasks.repository.WITH_TASK).
        assignee = self.assignee
        return assignee if isinstance(assignee, User) else await info.context.loaders.user_by_id.load(self.assignee_id)

    @strawberry.field
    async def requesters(self: Task, info: Info) -> list[LazyUser] | None:
        if not _sees(info, TaskField.REQUESTERS):
            return None
        return await info.context.loaders.requesters_by_task.load(self.id)

    @strawberry.field
    async def followers(self: Task, info: Info) -> list[LazyUser] | None:
        if not _sees(info, TaskField.FOLLOWERS):
            return None
        return await info.context.loaders.followers_by_task.load(self.id)

    @strawberry.field
    def estimated_minutes(self: Task, info: Info) -> int | None:
        return self.estimated_minutes if _sees(info, TaskField.ESTIMATED_TIME) else None

    @strawberry.field
    async def time_spent_minutes(self: Task, info: Info) -> int | None:
        if not _sees(info, TaskField.TIME_SPENT):
            return None
        return (await info.context.loaders.time_by_task.load(self.id)).minutes

    @strawberry.field(description="Billable minutes × the project's hourly rate, half-up to the cent.")
    async def cost(self: Task, info: Info) -> Money | None:
        if not _sees(info, TaskField.COST):
            return None
        project = await await_maybe(_project(self, info))
        if project.hourly_rate is None:
            return None
        totals = await info.context.loaders.time_by_task.load(self.id)
        return await in_currency(info, billed_amount(totals.billable_minutes, project.hourly_rate))

    @strawberry.field(description="Never shown to clients.")
    async def time_entries(self: Task, info: Info) -> list[TimeEntryType] | None:
        if not policy.sees_internal_records(info.context.viewer):
            return None
        return await info.context.loaders.time_entries_by_task.load(self.id)

    @strawberry.field(description="The conversation; clients see only PUBLIC messages.")
    async def messages(self: Task, info: Info) -> list[LazyMessage] | None:
        if not _sees(info, TaskField.MESSAGES):
            return None
        return await info.context.loaders.messages_by_task.load(self.id)

    @strawberry.field(description="Its files; null for clients where the portal settings do not list ATTACHMENTS.")
    async def files(self: Task, info: Info) -> list[LazyFile] | None:
        if not policy.sees_attachments(info.context.viewer):
            return None
        return await info.context.loaders.files_by_task.load(self.id)

    @strawberry.field(
        description="Whether it has public messages of other people that the viewer has not read; false where the viewer does not see its messages."
    )
    async def unread(self: Task, info: Info) -> bool:
        if not policy.counts_unread(info.context.viewer):
            return False
        return await info.context.loaders.unread_by_task.load(self.id)

    @strawberry.field(description="The viewer's choice for its emails (setItemNotifications).")
    async def notifications(self: Task, info: Info) -> LazyNotifications:
        return await info.context.loaders.notifications_by_task.load(self.id)

    @strawberry.field(description="Clients' ratings of it; null for clients.")
    async def ratings(self: Task, info: Info) -> list[LazyRating] | None:
        if not policy.sees_ratings(info.context.viewer):
            return None
        return await info.context.loaders.ratings_by_task.load(self.id)

    @strawberry.field(description="The viewer's own rating of it (rateItem).")
    async def my_rating(self: Task, info: Info) -> LazyRating | None:
        return await info.context.loaders.own_rating_by_task.load(self.id)

    @strawberry.field(description="Whether the viewer may resolve or reopen it (resolveItem, reopenItem).")
    async def can_resolve(self: Task, info: Info) -> bool:
        return policy.may_resolve(info.context.viewer, requester=await _requested_by_viewer(self, info))

    @strawberry.field(description="Whether the viewer may rate it (rateItem) once it is resolved.")
    async def can_rate(self: Task, info: Info) -> bool:
        return policy.may_rate(info.context.viewer, requester=await _requested_by_viewer(self, info))

    @strawberry.field(description="Its response-time targets (first response, resolution) that apply to its priority.")
    async def response_targets(self: Task, info: Info) -> list[LazyResponseTarget] | None:
        if not _sees(info, TaskField.RESPONSE_TARGETS):
            return None
        loaders = info.context.loaders
        clocks = await loaders.target_clocks_by_task.load(self.id)
        if not clocks:
            return []
        calendar = (await loaders.target_settings_by_workspace.load(self.workspace_id)).calendar()
        now = info.context.now
        return [targets.describe(c, calendar, now) for c in clocks]


@strawberry.type
class TaskConnection:
    edges: list[Edge[TaskType]]
    page_info: PageInfo
    page: strawberry.Private[Page]

    @classmethod
    def of(cls, page: Page) -> TaskConnection:
        return cls(edges=edges(page), page_info=page_info(page), page=page)

    @strawberry.field
    async def total_count(self) -> int:
        return await self.page.total_count()


__all__ = ["TaskType", "TaskConnection", "TimeEntryType"]
