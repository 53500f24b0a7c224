"""Tasks ("items"): creation, edits, requesters and followers, labels, time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from cachetools import LRUCache

from clientela import policy
from clientela.automations import services as automations
from clientela.automations.models import TriggerKind
from clientela.core import clock, validation
from clientela.core.errors import BadUserInput, Forbidden
from clientela.core.pagination import Page
from clientela.core.values import NOT_GIVEN, Maybe, given
from clientela.files import services as files
from clientela.files.models import StoredFile
from clientela.people import repository as people_repository
from clientela.people.models import User
from clientela.policy import Action, Viewer
from clientela.portal.settings import TaskField
from clientela.projects import services as projects
from clientela.projects.models import Project
from clientela.targets.models import TargetState
from clientela.tasks import repository
from clientela.tasks.models import ItemOwnership, Task, TaskOrder, TaskPriority, TaskStatus, TimeEntry
from clientela.tasks.repository import TaskFilters


@dataclass
class TaskChanges:
    """Changes to a task: only the fields given change; None clears one."""

    title: Maybe[str | None] = NOT_GIVEN
    description: Maybe[str | None] = NOT_GIVEN
    status: Maybe[TaskStatus | None] = NOT_GIVEN
    priority: Maybe[TaskPriority | None] = NOT_GIVEN
    due_date: Maybe[dt.date | None] = NOT_GIVEN
    assignee_id: Maybe[object | None] = NOT_GIVEN
    estimated_minutes: Maybe[int | None] = NOT_GIVEN
    labels: Maybe[list[str] | None] = NOT_GIVEN


@dataclass
class TaskValues(TaskChanges):
    """A new task: a title, and the other fields of TaskChanges; one left out, or None, takes
    the task's default."""

    title: str


async def get_task(viewer: Viewer, task_id: object) -> Task:
    return await repository.visible_task(viewer, task_id)


async def find_task(viewer: Viewer, task_id: object | None, ref: str | None) -> Task:
    """A task by its id or its reference (ACME-42, in any case), exactly one of them given."""
    if (task_id is None) == (ref is None):
        raise BadUserInput("Give exactly one of id and ref.", field="id")
    if task_id is not None:
        return await get_task(viewer, task_id)
    return await repository.visible_task_by_ref(viewer, ref.strip().upper())


async def get_managed_task(viewer: Viewer, task_id: object) -> tuple[Task, Project]:
    task = await get_task(viewer, task_id)
    project = await repository.project_of(task)
    await projects.require_on_project(viewer, Action.MANAGE_PROJECT, project)
    return task, project


def task_list_filters(
    viewer: Viewer,
    status: TaskStatus | None,
    labels: list[str] | None,
    target_state: TargetState | None = None,
    now: dt.datetime | None = None,
    order: TaskOrder = TaskOrder.OLDEST_FIRST,
    *,
    search: str | None = None,
    resolved: bool | None = None,
    whose: ItemOwnership | None = None,
) -> TaskFilters:
    """The filters and order of a task list, checked: a filter on a field the viewer may not
    read is refused (whether an item is resolved is its status; whose organization requested
    it, its requesters), and so is a labels filter of more than MAX_FILTER_LABELS labels, and
    an order by a field the viewer may not read (the due date, the targets: sorting by them
    tells them). A search looks in the description only where the viewer reads it. A target
    state is read as of `now`."""
    if status is not None:
        policy.require_filterable(viewer, TaskField.STATUS, "status")
    if resolved is not None:
        policy.require_filterable(viewer, TaskField.STATUS, "resolved")
    if labels:
        policy.require_filterable(viewer, TaskField.LABELS, "labels")
    if target_state is not None:
        policy.require_filterable(viewer, TaskField.RESPONSE_TARGETS, "target_state")
    if whose is ItemOwnership.MY_ORGANIZATION:
        policy.require_filterable(viewer, TaskField.REQUESTERS, "whose")
    if order in ORDER_FIELDS:
        policy.require_filterable(viewer, ORDER_FIELDS[order], "order_by")
    cleaned = validation.filter_labels(labels)
    return TaskFilters(
        status=status,
        labels=tuple(cleaned) if cleaned else None,
        target_state=target_state,
        now=(now or clock.now()) if target_state is not None else None,
        order=order,
        search=validation.search(search),
        search_description=policy.sees_task_field(viewer, TaskField.DESCRIPTION),
        resolved=resolved,
        whose=whose,
    )


# The orders by a field that the portal settings may hide from clients.
ORDER_FIELDS = {TaskOrder.NEXT_DUE: TaskField.RESPONSE_TARGETS, TaskOrder.DUE_DATE: TaskField.DUE_DATE}


async def list_tasks(
    viewer: Viewer,
    *,
    project: Project | None = None,
    first: int | None,
    after: str | None,
    status: TaskStatus | None = None,
    labels: list[str] | None = None,
    target_state: TargetState | None = None,
    now: dt.datetime | None = None,
    order: TaskOrder = TaskOrder.OLDEST_FIRST,
    search: str | None = None,
    resolved: bool | None = None,
    whose: ItemOwnership | None = None,
    counted: bool = False,
) -> Page:
    """Visible tasks, filtered in SQL (task_list_filters); `counted`: the total will be asked for; `labels` keeps the tasks that carry
    every label given, `target_state` those with a response-time target in that state at
    `now`; NEXT_DUE lists the tasks with a running target, the soonest due first. (A project's
    tasks come through `list_project_tasks`, a page of projects at a time.)"""
    filters = task_list_filters(viewer, status, labels, target_state, now, order, search=search, resolved=resolved, whose=whose)
    if project is not None:
        return (await repository.list_project_tasks(viewer, [project], first=first, after=after, filters=filters))[0]
    if not viewer.is_client or filters.narrowed or order not in (TaskOrder.OLDEST_FIRST, TaskOrder.NEWEST_FIRST):
        return await repository.list_visible_tasks(viewer, first=first, after=after, filters=filters, counted=counted)
    # The portal's own list counts by itself, from the cache below.
    return await repository.list_portal_tasks(
        viewer,
        first=first,
        after=after,
        newest_first=order is TaskOrder.NEWEST_FIRST,
        count=lambda: cached_client_task_count(viewer),
    )


# Counting what a client sees costs as much as the client can see, so the exact total is kept
# per process against the workspace's visibility generation, which moves on with every write
# that could change it; a stale entry is never read again and falls out of the LRU.
_CLIENT_COUNTS: LRUCache[tuple, int] = LRUCache(maxsize=10_000)


async def cached_client_task_count(viewer: Viewer) -> int:
    scopes = viewer.portal.scopes if viewer.portal else frozenset()
    key = (viewer.workspace_id, viewer.visibility_generation, viewer.user_id, viewer.organization_id, scopes)
    if (count := _CLIENT_COUNTS.get(key)) is None:
        count = _CLIENT_COUNTS[key] = await repository.count_client_tasks(viewer)
    return count


async def _assignee(viewer: Viewer, assignee_id: object | None) -> User | None:
    if assignee_id is None:
        return None
    return await people_repository.visible_person(viewer, assignee_id)


def _clean(values: TaskValues | TaskChanges, *, none_is_given: bool) -> dict:
    """The fields given, checked, as columns of the task, in the order of the dataclass (the
    first wrong one is the one reported)."""
    cleaned: dict = {}
    for field in dataclasses.fields(values):
        key, value = field.name, getattr(values, field.name)
        if not given(value) or (value is None and not none_is_given):
            continue
        if key == "title":
            value = validation.name(value, "title")
        elif key == "description":
            value = validation.text(value)
        elif key == "estimated_minutes":
            value = validation.minutes(value, "estimated_minutes")
        elif key == "labels":
            value = validation.labels(value) or []
        elif value is None and key in ("status", "priority"):
            raise BadUserInput(f"{key} must not be null.", field=key)
        cleaned[key] = value
    return cleaned


async def create_task(viewer: Viewer, project_id: object, values: TaskValues, requester_ids: list | None) -> Task:
    project = await projects.get_managed_project(viewer, project_id)
    return await _create(viewer, project, values, requester_ids or [], TriggerKind.ITEM_CREATED)


async def _create(
    viewer: Viewer,
    project: Project,
    values: TaskValues,
    requester_ids: list,
    trigger: TriggerKind,
    attached: list[StoredFile] | None = None,
) -> Task:
    cleaned = _clean(values, none_is_given=False)
    cleaned.setdefault("status", TaskStatus.OPEN)
    cleaned.setdefault("priority", TaskPriority.NORMAL)
    cleaned.setdefault("labels", [])
    assignee = await _assignee(viewer, cleaned.pop("assignee_id", None))
    requesters = await people_repository.visible_people(viewer, requester_ids)

    async def then(task: Task) -> None:
        await files.attach(attached or [], task=task)
        await automations.record(viewer, trigger, task)

    return await repository.create_task(viewer, project, cleaned, assignee=assignee, requesters=requesters, then=then)


async def update_task(viewer: Viewer, task_id: object, changes: TaskChanges) -> Task:
    task, _ = await get_managed_task(viewer, task_id)
    cleaned = _clean(changes, none_is_given=True)
    if "assignee_id" in cleaned:
        assignee = await _assignee(viewer, cleaned["assignee_id"])
        cleaned["assignee_id"] = assignee.id if assignee else None
    await _change(viewer, task, cleaned)
    return task


async def _change(viewer: Viewer, task: Task, cleaned: dict) -> None:
    """`cleaned` columns written to the task, with the automation events of its changes."""
    changed = [
        (trigger, getattr(task, key), cleaned[key])
        for key, trigger in (("status", TriggerKind.STATUS_CHANGED), ("priority", TriggerKind.PRIORITY_CHANGED))
        if key in cleaned and cleaned[key] != getattr(task, key)
    ]

    async def record_changes() -> None:
        for trigger, before, after in changed:
            await automations.record(viewer, trigger, task, before=before, after=after)

    await repository.update_task(task, cleaned, record_changes)


async def set_resolved(viewer: Viewer, task_id: object, resolved: bool) -> Task:
    """A client resolves an item they requested (it becomes DONE, the status every workspace
    has for done work) or reopens it (OPEN again), where the portal settings allow it; as an
    edit of its status by the firm would, this moves its resolution target and fires the
    STATUS_CHANGED rules."""
    task = await get_task(viewer, task_id)
    requester = await repository.is_requester(task, viewer.user_id)
    policy.require_resolve(viewer, requester=requester, resolved=task.status is TaskStatus.DONE, resolving=resolved)
    await _change(viewer, task, {"status": TaskStatus.DONE if resolved else TaskStatus.OPEN})
    return task


async def submit_item(
    viewer: Viewer, project_id: object, title: str, description: str | None, file_ids: list | None = None
) -> Task:
    """A client files a new item in a project they can see, with their pending uploads of
    `file_ids` attached; they become its requester."""
    policy.require_signed_in(viewer)
    if not policy.client_may_submit(viewer):
        raise Forbidden("Submitting items is not enabled for you.")
    project = await projects.get_project(viewer, project_id)
    attached = await files.attachable(viewer, file_ids)
    values = TaskValues(title=title, description=description)
    return await _create(viewer, project, values, [viewer.user_id], TriggerKind.ITEM_SUBMITTED, attached)


async def attach_files(viewer: Viewer, task_id: object, file_ids: list) -> Task:
    """The viewer's pending uploads of `file_ids` hung on a task they may edit."""
    task, _ = await get_managed_task(viewer, task_id)
    if not file_ids:
        raise BadUserInput("Name at least one file.", field="file_ids")
    await files.attach(await files.attachable(viewer, file_ids), task=task)
    return task


async def _people_to_add(viewer: Viewer, task_id: object, user_ids: list) -> tuple[Task, list[User]]:
    task = await get_task(viewer, task_id)
    await projects.require_on_project(viewer, Action.GRANT_PROJECT_ACCESS, await repository.project_of(task))
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    return task, await people_repository.visible_people(viewer, user_ids)


async def add_requesters(viewer: Viewer, task_id: object, user_ids: list) -> Task:
    task, people = await _people_to_add(viewer, task_id, user_ids)
    await repository.add_requesters(task, people)
    return task


async def add_followers(viewer: Viewer, task_id: object, user_ids: list) -> Task:
    task, people = await _people_to_add(viewer, task_id, user_ids)
    await repository.add_followers(task, people)
    return task


async def log_time(
    viewer: Viewer, task_id: object, *, minutes: int, date: dt.date | None, note: str | None, billable: bool | None
) -> TimeEntry:
    if minutes is None or minutes < 1:
        raise BadUserInput("minutes must be at least 1.", field="minutes")
    validation.minutes(minutes, "minutes")
    note = validation.text(note, "note")
    task, _ = await get_managed_task(viewer, task_id)
    return await repository.create_time_entry(
        task,
        viewer.user_id,
        minutes=minutes,
        date=date or dt.date.today(),
        note=note,
        billable=True if billable is None else billable,
    )
