"""Tasks ("items"): creation, edits, requesters and followers, labels, time."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from strawberry import UNSET
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.core import validation
from clientela.core.errors import BadUserInput, Forbidden
from clientela.core.lookup import fetch_all_visible, fetch_visible
from clientela.core.pagination import Page, paginate
from clientela.people.models import User
from clientela.policy import Action, Viewer
from clientela.portal.settings import TaskField
from clientela.projects import services as projects
from clientela.projects.models import Project
from clientela.tasks import repository
from clientela.tasks.models import (
    Task,
    TaskFollower,
    TaskLabel,
    TaskPriority,
    TaskRequester,
    TaskStatus,
    TimeEntry,
)
from clientela.workspaces.repository import visibility_changed

TASK_FIELDS = ("title", "description", "status", "priority", "due_date", "assignee_id", "estimated_minutes", "labels")


async def get_task(viewer: Viewer, task_id: object) -> Task:
    return await fetch_visible(Task, policy.tasks_visible(viewer), task_id, "Task")


async def get_managed_task(viewer: Viewer, task_id: object) -> tuple[Task, Project]:
    task = await get_task(viewer, task_id)
    project = await Project.get(id=task.project_id)
    await policy.require(viewer, Action.MANAGE_PROJECT, project=project)
    return task, project


def task_list_filters(viewer: Viewer, status: TaskStatus | None, labels: list[str] | None) -> tuple:
    """The filters of a task list, checked: a filter on a field the viewer may not read is
    refused, and so is a labels filter of more than MAX_FILTER_LABELS labels. Returns
    (status, labels as a tuple, or None), hashable, for `list_project_tasks`."""
    if status is not None:
        policy.require_filterable(viewer, TaskField.STATUS, "status")
    if labels:
        policy.require_filterable(viewer, TaskField.LABELS, "labels")
    cleaned = validation.filter_labels(labels)
    return status, tuple(cleaned) if cleaned else None


async def list_tasks(
    viewer: Viewer,
    *,
    project: Project | None = None,
    first: int | None,
    after: str | None,
    status: TaskStatus | None = None,
    labels: list[str] | None = None,
) -> Page:
    """Visible tasks, filtered in SQL; `labels` keeps the tasks that carry every label given.
    (A project's tasks come through `list_project_tasks`, a page of projects at a time.)"""
    status, wanted = task_list_filters(viewer, status, labels)
    if project is not None:
        return (await repository.list_project_tasks(viewer, [project], first=first, after=after, status=status, labels=wanted))[0]
    query = repository.filtered(Task.filter(policy.tasks_visible(viewer)), status, wanted)
    if not viewer.is_client or status is not None or wanted:
        return await paginate(query.select_related("project"), first, after)
    # The portal's own list: each scope gives just its next page, and counts by itself. The
    # window is the client's visibility rule, read page by page, so it stands in for the whole.
    return await paginate(
        Task.all().select_related("project"),
        first,
        after,
        window=lambda after_id, n: policy.client_task_window(viewer, after_id, n),
        count=lambda: cached_client_task_count(viewer),
    )


# Counting what a client sees costs as much as the client can see, so the exact total is kept
# per process against the workspace's visibility generation, which moves on with every write
# that could change it; a stale entry is never read again and falls out of the LRU.
_CLIENT_COUNTS: OrderedDict[tuple, int] = OrderedDict()
_CLIENT_COUNTS_KEPT = 10_000


async def cached_client_task_count(viewer: Viewer) -> int:
    scopes = viewer.portal.scopes if viewer.portal else frozenset()
    key = (viewer.workspace_id, viewer.visibility_generation, viewer.user_id, viewer.organization_id, scopes)
    if (count := _CLIENT_COUNTS.get(key)) is not None:
        _CLIENT_COUNTS.move_to_end(key)
        return count
    count = _CLIENT_COUNTS[key] = await policy.count_client_tasks(viewer)
    if len(_CLIENT_COUNTS) > _CLIENT_COUNTS_KEPT:
        _CLIENT_COUNTS.popitem(last=False)
    return count


async def _assignee(viewer: Viewer, assignee_id: object | None) -> User | None:
    if assignee_id is None:
        return None
    return await fetch_visible(User, policy.people_visible(viewer), assignee_id, "Person")


def _clean(values: dict) -> dict:
    cleaned: dict = {}
    for key, value in values.items():
        if value is UNSET:
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


async def _set_labels(task: Task, labels: list[str]) -> None:
    await TaskLabel.filter(task_id=task.id).delete()
    await TaskLabel.bulk_create([TaskLabel(task_id=task.id, label=label) for label in labels])


async def create_task(viewer: Viewer, project_id: object, values: dict, requester_ids: list | None) -> Task:
    project = await projects.get_managed_project(viewer, project_id)
    return await _create(viewer, project, values, requester_ids or [])


async def _create(viewer: Viewer, project: Project, values: dict, requester_ids: list) -> Task:
    cleaned = _clean({key: value for key, value in values.items() if value is not None})
    cleaned.setdefault("status", TaskStatus.OPEN)
    cleaned.setdefault("priority", TaskPriority.NORMAL)
    assignee = await _assignee(viewer, cleaned.pop("assignee_id", None))
    requesters = await fetch_all_visible(User, policy.people_visible(viewer), requester_ids, "Person")
    async with in_transaction():
        task = await Task.create(
            workspace_id=viewer.workspace_id,
            project_id=project.id,
            assignee=assignee,
            created_by_id=viewer.user_id,
            **{k: v for k, v in cleaned.items() if k != "labels"},
            labels=cleaned.get("labels", []),
        )
        await _set_labels(task, task.labels)
        await TaskRequester.bulk_create([TaskRequester.of(task.id, person) for person in requesters])
        await visibility_changed(viewer.workspace_id)
    return task


async def update_task(viewer: Viewer, task_id: object, values: dict) -> Task:
    task, _ = await get_managed_task(viewer, task_id)
    cleaned = _clean(values)
    if "assignee_id" in cleaned:
        assignee = await _assignee(viewer, cleaned["assignee_id"])
        cleaned["assignee_id"] = assignee.id if assignee else None
    async with in_transaction():
        if cleaned:
            await Task.filter(id=task.id).update(**cleaned)
            task.update_from_dict(cleaned)
        if "labels" in cleaned:
            await _set_labels(task, cleaned["labels"])
    return task


async def submit_item(viewer: Viewer, project_id: object, title: str, description: str | None) -> Task:
    """A client files a new item in a project they can see; they become its requester."""
    policy.require_signed_in(viewer)
    if not policy.client_may_submit(viewer):
        raise Forbidden("Submitting items is not enabled for you.")
    project = await projects.get_project(viewer, project_id)
    return await _create(viewer, project, {"title": title, "description": description}, [viewer.user_id])


async def _add_people(viewer: Viewer, task_id: object, user_ids: list, row_model) -> Task:
    task = await get_task(viewer, task_id)
    await policy.require(viewer, Action.GRANT_PROJECT_ACCESS, project=await Project.get(id=task.project_id))
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    people = await fetch_all_visible(User, policy.people_visible(viewer), user_ids, "Person")
    existing = set(await row_model.filter(task_id=task.id).values_list("user_id", flat=True))
    async with in_transaction():
        await row_model.bulk_create([row_model.of(task.id, p) for p in people if p.id not in existing])
        await visibility_changed(task.workspace_id)
    return task


async def add_requesters(viewer: Viewer, task_id: object, user_ids: list) -> Task:
    return await _add_people(viewer, task_id, user_ids, TaskRequester)


async def add_followers(viewer: Viewer, task_id: object, user_ids: list) -> Task:
    return await _add_people(viewer, task_id, user_ids, TaskFollower)


async def log_time(
    viewer: Viewer, task_id: object, *, minutes: int, date: dt.date | None, note: str | None, billable: bool | None
) -> TimeEntry:
    if minutes is None or minutes < 1:
        raise BadUserInput("minutes must be at least 1.", field="minutes")
    validation.minutes(minutes, "minutes")
    note = validation.text(note, "note")
    task, _ = await get_managed_task(viewer, task_id)
    return await TimeEntry.create(
        task_id=task.id,
        user_id=viewer.user_id,
        minutes=minutes,
        date=date or dt.date.today(),
        note=note,
        billable=True if billable is None else billable,
    )
