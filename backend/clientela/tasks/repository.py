"""The tasks' reads and writes that Tortoise runs: every read scoped by the policy's filters."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.conversations.models import ItemNotifications, ItemSubscription
from clientela.core import clock
from clientela.core.errors import NotFound
from clientela.core.ids import as_uuid
from clientela.core.lookup import fetch_visible
from clientela.core.pagination import (
    BY_ID,
    Keyset,
    Page,
    page_size,
    paginate,
    paginate_keyset,
)
from clientela.core.sql import FirstOfEach, UnionOf, count_union, next_number
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.projects.models import Project
from clientela.targets import repository as target_clocks
from clientela.targets.models import TargetState
from clientela.tasks.models import (
    ItemOwnership,
    ItemRefCounter,
    Task,
    TaskFollower,
    TaskLabel,
    TaskOrder,
    TaskRequester,
    TaskStatus,
    TimeEntry,
    searchable,
)
from clientela.workspaces.repository import visibility_changed

# How each order pages: the keyset of its sort (core.pagination.Keyset).
KEYSETS = {
    TaskOrder.OLDEST_FIRST: BY_ID,
    TaskOrder.NEWEST_FIRST: Keyset(descending=True),
    TaskOrder.RECENTLY_UPDATED: Keyset("updated_at", descending=True),
    TaskOrder.DUE_DATE: Keyset("due_date", nullable=True, parse=dt.date.fromisoformat),
    TaskOrder.NEXT_DUE: Keyset("target_due_at"),
}
# Changes of a task that do not make it "updated": estimates are time, hidden from clients.
UNSEEN_CHANGES = frozenset({"estimated_minutes"})


@dataclass(frozen=True)
class TaskFilters:
    """The filters and order of a task list, checked (tasks.services.task_list_filters);
    hashable, so that the pages of a list of projects load together per set of them. A target
    state is read as of `now`, the request's moment. NEXT_DUE keeps only the tasks with a
    running target, so it narrows the list (and its count) like a filter. `search` is folded
    text (core.validation.search) that the title, or with `search_description` the title or
    the description, contains; `resolved` keeps the DONE items or the others; `whose` the
    viewer's own items or their organization's."""

    status: TaskStatus | None = None
    labels: tuple | None = None
    target_state: TargetState | None = None
    now: dt.datetime | None = None
    order: TaskOrder = TaskOrder.OLDEST_FIRST
    search: str | None = None
    search_description: bool = False
    resolved: bool | None = None
    whose: ItemOwnership | None = None

    @property
    def narrowed(self) -> bool:
        """Whether the list keeps only some of the tasks."""
        filters = (self.status, self.target_state, self.search, self.resolved, self.whose)
        return any(f is not None for f in filters) or bool(self.labels) or self.order is TaskOrder.NEXT_DUE

    @property
    def any(self) -> bool:
        """Whether the list is anything but all the tasks, oldest first."""
        return self.narrowed or self.order is not TaskOrder.OLDEST_FIRST

    @property
    def keyset(self) -> Keyset:
        return KEYSETS[self.order]


NO_FILTERS = TaskFilters()


def _owned(viewer: Viewer, whose: ItemOwnership) -> Q:
    if whose is ItemOwnership.MY_ORGANIZATION:
        if viewer.organization_id is None:
            return Q(pk__in=[])
        return Q(id__in=Subquery(TaskRequester.filter(organization_id=viewer.organization_id).values("task_id")))
    following = ItemSubscription.filter(user_id=viewer.user_id, notifications=ItemNotifications.FOLLOWING)
    return Q(
        id__in=UnionOf(
            TaskRequester.filter(user_id=viewer.user_id).values("task_id"),
            TaskFollower.filter(user_id=viewer.user_id).values("task_id"),
            following.values("task_id"),
        )
    )


def filtered(query, filters: TaskFilters, viewer: Viewer):
    """`query` narrowed to the tasks of `status` that carry every label of `labels`, have a
    target in `target_state`, contain `search`, are resolved or not and are the viewer's (or
    their organization's). The labels are one subquery for each task read, whatever their
    number: how many of them the task carries, from the (task, label) index; its cost follows
    the tasks read (a page, or the project's tasks to count them), never how many tasks
    anywhere carry those labels. The search reads each task's folded columns: a scan of the
    tasks the other conditions leave (see the README on search at scale)."""
    if filters.status is not None:
        query = query.filter(status=filters.status)
    if filters.labels:
        carried = TaskLabel.filter(label__in=filters.labels, task_id=RawSQL(f'"{Task._meta.db_table}"."id"'))
        query = query.annotate(labels_carried=Subquery(carried.annotate(n=Count("id")).values("n")))
        query = query.filter(labels_carried=len(filters.labels))
    if filters.target_state is not None:
        query = query.filter(target_clocks.tasks_in_state(filters.target_state, filters.now))
    if filters.search is not None:
        found = Q(search_title__contains=filters.search)
        if filters.search_description:
            found |= Q(search_description__contains=filters.search)
        query = query.filter(found)
    if filters.resolved is not None:
        query = query.filter(status=TaskStatus.DONE) if filters.resolved else query.exclude(status=TaskStatus.DONE)
    if filters.whose is not None:
        query = query.filter(_owned(viewer, filters.whose))
    if filters.order is TaskOrder.NEXT_DUE:
        query = query.filter(target_due_at__isnull=False)
    return query


def _project_tasks(viewer: Viewer, projects: list[Project], filters: TaskFilters):
    return filtered(Task.filter(policy.projects_tasks_visible(viewer, projects)), filters, viewer)


async def list_project_tasks(
    viewer: Viewer,
    projects: list[Project],
    *,
    first: int | None,
    after: str | None,
    filters: TaskFilters = NO_FILTERS,
    count: Callable[[Project], Awaitable[int]] | None = None,
    counted: bool = False,
) -> list[Page]:
    """A page of the visible tasks of each project, with `filters` and in their order, for any
    number of projects in one statement. Unfiltered, the first tasks of each project are read
    from the (project, id) index, one UNION branch each; filtered or sorted, in one pass over
    the projects' tasks, numbered per project. Each page counts its whole list through
    `count(project)` if given (see `count_project_tasks`), else by itself; one project's page,
    `counted` (its total will be asked for), in its own statement."""
    keyset = filters.keyset
    if len(projects) == 1:
        query = _project_tasks(viewer, projects, filters)
        pages = [await paginate_keyset(query, keyset, first, after, counted=counted, count_apart=True)]
        count = None if counted else count
    else:
        size = page_size(first)
        after_last = keyset.after(after) if after else Q()
        if not filters.any:
            first_of_each = UnionOf(
                *(
                    _project_tasks(viewer, [p], filters).filter(after_last).order_by("id").limit(size + 1).values("id")
                    for p in projects
                ),
                each_limited=True,
            )
        else:
            first_of_each = FirstOfEach(
                _project_tasks(viewer, projects, filters).filter(after_last), "project_id", size + 1, keyset.sql_order()
            )
        found: dict[object, list[Task]] = defaultdict(list)
        for task in await keyset.ordered(Task.filter(id__in=first_of_each)):
            found[task.project_id].append(task)
        pages = [
            Page(
                rows=found[p.id][:size],
                has_next_page=len(found[p.id]) > size,
                total_count=_project_tasks(viewer, [p], filters).count,
                cursor=keyset.cursor,
            )
            for p in projects
        ]
    for project, page in zip(projects, pages, strict=True):
        if count is not None:
            page.total_count = functools.partial(count, project)
        for task in page.rows:
            task.project = project  # already fetched: no need to read it again with every task
    return pages


async def count_project_tasks(viewer: Viewer, projects: list[Project], filters: TaskFilters = NO_FILTERS) -> list[int]:
    """How many visible tasks (with `filters`) each project has, in one statement for any
    number of projects."""
    rows = (
        await _project_tasks(viewer, projects, filters)
        .annotate(tasks=Count("id"))
        .group_by("project_id")
        .values_list("project_id", "tasks")
    )
    counts = {as_uuid(project_id): tasks for project_id, tasks in rows}
    return [counts.get(p.id, 0) for p in projects]


# What a task's page shows of it beside its own columns, read with it (tasks.types.TaskType).
WITH_TASK = ("project", "assignee")


async def visible_task(viewer: Viewer, task_id: object) -> Task:
    return await fetch_visible(Task, policy.tasks_visible(viewer), task_id, "Task", *WITH_TASK)


async def is_requester(task: Task, user_id: uuid.UUID) -> bool:
    return await TaskRequester.exists(task_id=task.id, user_id=user_id)


async def project_of(task: Task) -> Project:
    return await Project.get(id=task.project_id)


async def visible_task_by_ref(viewer: Viewer, ref: str) -> Task:
    """The task of a reference (ACME-42) through the same filter as a lookup by id."""
    task = await Task.filter(policy.tasks_visible(viewer), ref=ref).select_related(*WITH_TASK).first()
    if task is None:
        raise NotFound("Task")
    return task


async def list_visible_tasks(
    viewer: Viewer, *, first: int | None, after: str | None, filters: TaskFilters, counted: bool = False
) -> Page:
    """A page of every task the viewer sees, with `filters`, in their order (`counted`: see
    core.pagination.paginate_keyset)."""
    query = filtered(Task.filter(policy.tasks_visible(viewer)), filters, viewer).select_related("project")
    return await paginate_keyset(query, filters.keyset, first, after, counted=counted)


async def list_portal_tasks(
    viewer: Viewer, *, first: int | None, after: str | None, newest_first: bool, count: Callable[[], Awaitable[int]]
) -> Page:
    """A page of the tasks a client's portal shows, unfiltered, oldest or newest first, counted
    by `count`. Each scope gives just its next page: the window is the client's visibility
    rule, read page by page, so it stands in for the whole."""
    return await paginate(
        Task.all().select_related("project"),
        first,
        after,
        newest_first=newest_first,
        window=lambda after_id, n: policy.client_task_window(viewer, after_id, n, newest_first=newest_first),
        count=count,
    )


async def _set_labels(task: Task, labels: list[str]) -> None:
    await TaskLabel.filter(task_id=task.id).delete()
    await TaskLabel.bulk_create([TaskLabel(task_id=task.id, label=label) for label in labels])


async def next_ref(project: Project) -> str:
    """The reference of a new item of `project` (its prefix and the next number of that prefix
    in the workspace), in the transaction that creates the item."""
    prefix = project.ref_prefix
    number = await next_number(ItemRefCounter, {"workspace_id": project.workspace_id, "prefix": prefix}, "last_number")
    return f"{prefix}-{number}"


async def create_task(
    viewer: Viewer,
    project: Project,
    columns: dict,
    *,
    assignee: User | None,
    requesters: list[User],
    then: Callable[[Task], Awaitable[None]],
) -> Task:
    """A task of `project` created by the viewer, with its label rows and requesters, and
    `then(task)` done, all or nothing; `columns` holds its labels."""
    async with in_transaction():
        task = await Task.create(
            workspace_id=viewer.workspace_id,
            project_id=project.id,
            assignee=assignee,
            created_by_id=viewer.user_id,
            ref=await next_ref(project),
            **columns,
        )
        await _set_labels(task, task.labels)
        await TaskRequester.bulk_create([TaskRequester.of(task.id, person) for person in requesters])
        await target_clocks.task_created(task, by_client=viewer.is_client)
        await visibility_changed(task.workspace_id)
        await then(task)
    return task


async def update_task(task: Task, columns: dict, then: Callable[[], Awaitable[None]]) -> None:
    """`columns` written to the task (and to `task`), with its search columns and, if anything
    clients may see changed, its last change; its label rows replaced with its labels if they
    are among them, and `then()` done, all or nothing."""
    before = task.status
    changed = {key for key, value in columns.items() if getattr(task, key) != value}
    if changed - UNSEEN_CHANGES:
        columns = {**columns, "updated_at": clock.now()}
    async with in_transaction():
        if columns:
            columns = {**columns, **searchable(columns)}
            await Task.filter(id=task.id).update(**columns)
            task.update_from_dict(columns)
        if "status" in columns or "priority" in columns:
            await target_clocks.task_changed(task, before)
        if "labels" in columns:
            await _set_labels(task, columns["labels"])
        await then()


async def mark_updated(task: Task, moment: dt.datetime) -> None:
    """The task changed for its clients at `moment` (a public message), in the caller's transaction."""
    await Task.filter(id=task.id).update(updated_at=moment)
    task.updated_at = moment


async def _add_people(task: Task, people: list[User], row_model: type[TaskRequester] | type[TaskFollower]) -> None:
    existing = set(await row_model.filter(task_id=task.id).values_list("user_id", flat=True))
    async with in_transaction():
        await row_model.bulk_create([row_model.of(task.id, p) for p in people if p.id not in existing])
        await visibility_changed(task.workspace_id)


async def add_requesters(task: Task, people: list[User]) -> None:
    """`people` made requesters of the task (those who already are stay as they are)."""
    await _add_people(task, people, TaskRequester)


async def add_followers(task: Task, people: list[User]) -> None:
    """`people` made followers of the task (those who already are stay as they are)."""
    await _add_people(task, people, TaskFollower)


async def create_time_entry(
    task: Task, user_id: uuid.UUID, *, minutes: int, date: dt.date, note: str, billable: bool
) -> TimeEntry:
    return await TimeEntry.create(task_id=task.id, user_id=user_id, minutes=minutes, date=date, note=note, billable=billable)


async def count_client_tasks(viewer: Viewer) -> int:
    """How many tasks `policy.tasks_visible` gives a client, counted from the scopes alone."""
    scopes = policy.client_task_scopes(viewer)
    return await count_union(*scopes) if scopes else 0
