"""Tasks' people, pages of projects' tasks and time, for the request's Loaders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q, Subquery
from tortoise.functions import Sum

from clientela import policy
from clientela.core.dataloaders import PARENTS_PER_STATEMENT, Keys, ReadAlong, along_paths, grouped, linked, links, per_arguments
from clientela.core.ids import as_uuid
from clientela.core.sql import PreparedUnion
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.projects.models import Project
from clientela.tasks import repository
from clientela.tasks.models import Task, TaskFollower, TaskRequester, TimeEntry


@dataclass(frozen=True)
class TimeTotals:
    minutes: int = 0
    billable_minutes: int = 0


def _totals_of(entries, key_field: str):
    return (
        entries.annotate(minutes_total=Sum("minutes"), billable_total=Sum("minutes", _filter=Q(billable=True)))
        .group_by(key_field)
        .values_list(key_field, "minutes_total", "billable_total")
    )


# The totals over every task, per key field and number of keys, built once per process (the
# join of a project's totals costs more to build than to run); a client's figures are built
# for their visibility each time.
_TOTALS_OF_ALL_TASKS: dict[tuple[str, int], PreparedUnion] = {}


def _totals_of_all_tasks(key_field: str, keys: int) -> PreparedUnion:
    if (key_field, keys) not in _TOTALS_OF_ALL_TASKS:
        placeholders = [str(uuid.UUID(int=index + 1)) for index in range(keys)]  # ids no row has, as Tortoise passes them
        _TOTALS_OF_ALL_TASKS[key_field, keys] = PreparedUnion(
            lambda *ids: [_totals_of(TimeEntry.filter(**{f"{key_field}__in": set(ids)}), key_field)], *placeholders
        )
    return _TOTALS_OF_ALL_TASKS[key_field, keys]


def _time_totals(key_field: str, tasks_counted: Q | None = None) -> DataLoader:
    """Minutes and billable minutes per task or project, in one aggregate query, of the tasks
    `tasks_counted` selects (all when None)."""

    async def load(keys: Keys) -> list[TimeTotals]:
        wanted = set(keys)
        if tasks_counted is None and len(wanted) <= PARENTS_PER_STATEMENT:
            statement = _totals_of_all_tasks(key_field, len(wanted))
            # (branch, key, minutes, billable minutes, …): Tortoise selects the sums again after them
            rows = [row[1:4] for row in await statement.rows(*map(str, wanted))]
        else:
            entries = TimeEntry.filter(**{f"{key_field}__in": wanted})
            if tasks_counted is not None:
                entries = entries.filter(task_id__in=Subquery(Task.filter(tasks_counted).values("id")))
            rows = await _totals_of(entries, key_field)
        totals = {as_uuid(k): TimeTotals(int(m or 0), int(b or 0)) for k, m, b in rows}
        return [totals.get(k, TimeTotals()) for k in keys]

    return DataLoader(load)


class TaskLoaders:
    viewer: Viewer
    user_by_id: DataLoader

    @cached_property
    def links_by_task(self) -> DataLoader:
        people = ReadAlong(User, self.user_by_id)
        return links(
            {"requesters": people, "followers": people},
            requesters=lambda keys: TaskRequester.filter(task_id__in=keys).values_list(
                "task_id", "id", "user_id", *along_paths("user", User)
            ),
            followers=lambda keys: TaskFollower.filter(task_id__in=keys).values_list(
                "task_id", "id", "user_id", *along_paths("user", User)
            ),
        )

    @cached_property
    def requesters_by_task(self) -> DataLoader:
        return linked(self.links_by_task, "requesters", self.user_by_id)

    @cached_property
    def followers_by_task(self) -> DataLoader:
        return linked(self.links_by_task, "followers", self.user_by_id)

    @cached_property
    def tasks_by_project(self) -> DataLoader:
        """Pages of a project's visible tasks, keyed by (project, first, after, filters, counted)
        with the arguments checked (tasks.services.task_list_filters) and `counted` telling
        whether the total is asked for; for a page of projects, one statement per set of
        arguments, and one more for their counts if asked for."""

        async def fetch(projects: list[Project], first, after, filters, counted: bool) -> list:
            return await repository.list_project_tasks(
                self.viewer,
                projects,
                first=first,
                after=after,
                filters=filters,
                count=lambda project: self.task_count_by_project.load((project, filters)),
                counted=counted,
            )

        return DataLoader(lambda keys: per_arguments(keys, fetch), max_batch_size=PARENTS_PER_STATEMENT)

    @cached_property
    def task_count_by_project(self) -> DataLoader:
        """How many visible tasks a project has, keyed by (project, filters)."""

        async def fetch(projects: list[Project], filters) -> list[int]:
            return await repository.count_project_tasks(self.viewer, projects, filters)

        return DataLoader(lambda keys: per_arguments(keys, fetch), max_batch_size=PARENTS_PER_STATEMENT)

    @cached_property
    def time_entries_by_task(self) -> DataLoader:
        async def fetch(keys: Keys):
            entries = await TimeEntry.filter(task_id__in=keys).select_related("user").order_by("date", "id")
            self.user_by_id.prime_many({e.user_id: e.user for e in entries})  # read with them: no statement of their own
            return [(e.task_id, e) for e in entries]

        return grouped(fetch)

    @cached_property
    def time_by_task(self) -> DataLoader:
        return _time_totals("task_id")

    @cached_property
    def time_by_project(self) -> DataLoader:
        return _time_totals("task__project_id", policy.tasks_counted(self.viewer))
