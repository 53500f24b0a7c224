"""The tasks' reads and writes that Tortoise runs: every read scoped by the policy's filters."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Awaitable, Callable

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count

from clientela import policy
from clientela.core.ids import as_uuid
from clientela.core.pagination import Page, decode_cursor, page_size, paginate
from clientela.core.sql import FirstOfEach, UnionOf
from clientela.policy import Viewer
from clientela.projects.models import Project
from clientela.tasks.models import Task, TaskLabel, TaskStatus


def filtered(query, status: TaskStatus | None, labels: tuple | None):
    """`query` narrowed to the tasks of `status` that carry every label of `labels`. The labels
    are one subquery for each task read, whatever their number: how many of them the task
    carries, from the (task, label) index; its cost follows the tasks read (a page, or the
    project's tasks to count them), never how many tasks anywhere carry those labels."""
    if status is not None:
        query = query.filter(status=status)
    if labels:
        carried = TaskLabel.filter(label__in=labels, task_id=RawSQL(f'"{Task._meta.db_table}"."id"'))
        query = query.annotate(labels_carried=Subquery(carried.annotate(n=Count("id")).values("n")))
        query = query.filter(labels_carried=len(labels))
    return query


def _project_tasks(viewer: Viewer, projects: list[Project], status: TaskStatus | None, labels: tuple | None):
    return filtered(Task.filter(policy.projects_tasks_visible(viewer, projects)), status, labels)


async def list_project_tasks(
    viewer: Viewer,
    projects: list[Project],
    *,
    first: int | None,
    after: str | None,
    status: TaskStatus | None = None,
    labels: tuple | None = None,
    count: Callable[[Project], Awaitable[int]] | None = None,
) -> list[Page]:
    """A page of the visible tasks of each project, with the filters of `task_list_filters`,
    for any number of projects in one statement. Unfiltered, the first tasks of each project
    are read from the (project, id) index, one UNION branch each; filtered, in one pass over the
    projects' tasks, numbered per project. Each page counts its whole list through
    `count(project)` if given (see `count_project_tasks`), else by itself."""
    if len(projects) == 1:
        page = await paginate(_project_tasks(viewer, projects, status, labels), first, after)
        pages = [page]
    else:
        size = page_size(first)
        last_id = decode_cursor(after) if after else None
        after_last = Q(id__gt=last_id) if last_id is not None else Q()
        if status is None and not labels:
            first_of_each = UnionOf(
                *(
                    _project_tasks(viewer, [p], None, None).filter(after_last).order_by("id").limit(size + 1).values("id")
                    for p in projects
                ),
                each_limited=True,
            )
        else:
            first_of_each = FirstOfEach(_project_tasks(viewer, projects, status, labels).filter(after_last), "project_id", size + 1)
        found: dict[object, list[Task]] = defaultdict(list)
        for task in await Task.filter(id__in=first_of_each).order_by("id"):
            found[task.project_id].append(task)
        pages = [
            Page(rows=found[p.id][:size], has_next_page=len(found[p.id]) > size, total_count=_project_tasks(viewer, [p], status, labels).count)
            for p in projects
        ]
    for project, page in zip(projects, pages, strict=True):
        if count is not None:
            page.total_count = functools.partial(count, project)
        for task in page.rows:
            task.project = project  # already fetched: no need to read it again with every task
    return pages


async def count_project_tasks(
    viewer: Viewer, projects: list[Project], *, status: TaskStatus | None = None, labels: tuple | None = None
) -> list[int]:
    """How many visible tasks (with the filters of `task_list_filters`) each project has, in
    one statement for any number of projects."""
    rows = (
        await _project_tasks(viewer, projects, status, labels)
        .annotate(tasks=Count("id"))
        .group_by("project_id")
        .values_list("project_id", "tasks")
    )
    counts = {as_uuid(project_id): tasks for project_id, tasks in rows}
    return [counts.get(p.id, 0) for p in projects]
