"""Request-scoped DataLoaders, one per `<Thing>By<Key>`: every list field of a page loads with
one query per field, however many parents the page has (connections under a list of parents:
one statement per PARENTS_PER_STATEMENT parents). They are made per request because some
(messages, projects of a client, tasks of projects) apply the viewer's visibility."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q, Subquery
from tortoise.functions import Sum
from tortoise.queryset import ValuesListQuery

from clientela import policy
from clientela.conversations.models import Message, MessageRecipient, MessageVisibility
from clientela.core.ids import as_uuid
from clientela.core.pagination import LIST_LIMIT
from clientela.core.sql import union_rows
from clientela.organizations.models import Department, Organization
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.reports import services as reports
from clientela.sharing.models import Share
from clientela.tasks import services as tasks
from clientela.tasks.models import Task, TaskFollower, TaskRequester, TimeEntry
from clientela.workspaces.models import Workspace

Keys = list[uuid.UUID]
# A connection nested under a list (projects { tasks(first: 5) }) loads the pages of this many
# parents in one statement, and their counts in another.
PARENTS_PER_STATEMENT = 100


def _by_id(model, visible: Q | None = None) -> DataLoader:
    """Objects by id; with `visible`, those the viewer may not look up are None, so that an
    object reached through a nested field shows no more than its lookup by id."""

    async def load(keys: Keys) -> list[Any]:
        query = model.filter(id__in=set(keys))
        found = {row.id: row for row in await (query.filter(visible) if visible is not None else query)}
        return [found.get(k) for k in keys]

    return DataLoader(load)


def _grouped(fetch: Callable[[Keys], Awaitable[Iterable[tuple[uuid.UUID, Any]]]]) -> DataLoader:
    """A loader of lists: `fetch` returns (parent key, item) pairs in the order to show; each
    list is bounded at LIST_LIMIT items (see graphql/limits.py)."""

    async def load(keys: Keys) -> list[list[Any]]:
        groups: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for key, item in await fetch(list(set(keys))):
            groups[key].append(item)
        return [groups.get(k, [])[:LIST_LIMIT] for k in keys]

    return DataLoader(load)


@dataclass(frozen=True)
class TimeTotals:
    minutes: int = 0
    billable_minutes: int = 0


def _time_totals(key_field: str, tasks_counted: Q | None = None) -> DataLoader:
    """Minutes and billable minutes per task or project, in one aggregate query, of the tasks
    `tasks_counted` selects (all when None)."""

    async def load(keys: Keys) -> list[TimeTotals]:
        entries = TimeEntry.filter(**{f"{key_field}__in": set(keys)})
        if tasks_counted is not None:
            entries = entries.filter(task_id__in=Subquery(Task.filter(tasks_counted).values("id")))
        rows = (
            await entries
            .annotate(minutes_total=Sum("minutes"), billable_total=Sum("minutes", _filter=Q(billable=True)))
            .group_by(key_field)
            .values_list(key_field, "minutes_total", "billable_total")
        )
        totals = {as_uuid(k): TimeTotals(int(m or 0), int(b or 0)) for k, m, b in rows}
        return [totals.get(k, TimeTotals()) for k in keys]

    return DataLoader(load)


async def _per_arguments(keys: list[tuple], fetch: Callable[..., Awaitable[list[Any]]]) -> list[Any]:
    """Keys (parent, *arguments): `fetch(parents, *arguments)` once per set of arguments."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        groups[key[1:]].append(index)
    results: list[Any] = [None] * len(keys)
    for arguments, indexes in groups.items():
        for index, result in zip(indexes, await fetch([keys[i][0] for i in indexes], *arguments), strict=True):
            results[index] = result
    return results


LinkQuery = Callable[[set[uuid.UUID]], ValuesListQuery]


def _links(**kinds: LinkQuery) -> DataLoader:
    """Ids named by link tables, per parent and kind of link, all kinds in one statement. Each
    query, given the parent ids, selects (parent id, link id, named id); each list keeps the
    order of its links."""

    async def load(keys: Keys) -> list[dict[str, Keys]]:
        names = list(kinds)
        rows = await union_rows(*(query(set(keys)) for query in kinds.values()))
        found: dict[uuid.UUID, dict[str, Keys]] = defaultdict(lambda: {name: [] for name in names})
        for branch, parent, _, named in sorted(rows, key=lambda row: (row[0], as_uuid(row[2]))):
            found[as_uuid(parent)][names[branch]].append(as_uuid(named))
        return [found[k] for k in keys]

    return DataLoader(load)


class Loaders:
    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer

    async def _people_through(self, row_model, key_field: str, keys: Keys) -> list[tuple[uuid.UUID, User]]:
        """People named by a link table; fetched through user_by_id, so that the people of
        every list of a page (and the single ones) come in as few queries as possible."""
        rows = await row_model.filter(**{f"{key_field}__in": keys}).order_by("id").values_list(key_field, "user_id")
        people = await self.user_by_id.load_many([u for _, u in rows])
        return [(k, person) for (k, _), person in zip(rows, people, strict=True) if person is not None]

    # --- single objects by id (reached through a visible parent) ---
    @cached_property
    def user_by_id(self) -> DataLoader:
        return _by_id(User)

    @cached_property
    def organization_by_id(self) -> DataLoader:
        return _by_id(Organization, policy.organizations_visible(self.viewer))

    @cached_property
    def department_by_id(self) -> DataLoader:
        visible = Subquery(Organization.filter(policy.organizations_visible(self.viewer)).values("id"))
        return _by_id(Department, Q(organization_id__in=visible))

    @cached_property
    def language_of_organization(self) -> DataLoader:
        """An organization's language, which a person's effective language falls back on
        whether or not the viewer may look the organization up."""

        async def load(keys: Keys) -> list[str | None]:
            rows = await Organization.filter(id__in=set(keys)).values_list("id", "language")
            found = {as_uuid(org_id): language for org_id, language in rows}
            return [found.get(k) for k in keys]

        return DataLoader(load)

    @cached_property
    def project_by_id(self) -> DataLoader:
        return _by_id(Project)

    @cached_property
    def workspace_by_id(self) -> DataLoader:
        return _by_id(Workspace)

    # --- people of tasks and projects ---
    @cached_property
    def links_by_task(self) -> DataLoader:
        return _links(
            requesters=lambda keys: TaskRequester.filter(task_id__in=keys).values_list("task_id", "id", "user_id"),
            followers=lambda keys: TaskFollower.filter(task_id__in=keys).values_list("task_id", "id", "user_id"),
        )

    @cached_property
    def links_by_project(self) -> DataLoader:
        return _links(
            members=lambda keys: ProjectMember.filter(project_id__in=keys).values_list("project_id", "id", "user_id"),
            follower_people=lambda keys: ProjectFollower.filter(project_id__in=keys, user_id__isnull=False).values_list(
                "project_id", "id", "user_id"
            ),
            follower_organizations=lambda keys: ProjectFollower.filter(
                project_id__in=keys, organization_id__isnull=False
            ).values_list("project_id", "id", "organization_id"),
        )

    def _linked(self, links: DataLoader, kind: str, loader: DataLoader) -> DataLoader:
        """One kind of link as a list of objects, read through `loader` (user_by_id or
        organization_by_id), so that they come in with the page's other people or organizations;
        all kinds of links of a parent come from one statement (`links`)."""

        async def load(keys: Keys) -> list[list[Any]]:
            lists = [found[kind] for found in await links.load_many(keys)]
            objects = await loader.load_many([i for ids in lists for i in ids])
            result, start = [], 0
            for ids in lists:
                items = objects[start : start + len(ids)]
                start += len(ids)
                result.append([item for item in items if item is not None][:LIST_LIMIT])
            return result

        return DataLoader(load)

    @cached_property
    def requesters_by_task(self) -> DataLoader:
        return self._linked(self.links_by_task, "requesters", self.user_by_id)

    @cached_property
    def followers_by_task(self) -> DataLoader:
        return self._linked(self.links_by_task, "followers", self.user_by_id)

    @cached_property
    def members_by_project(self) -> DataLoader:
        return self._linked(self.links_by_project, "members", self.user_by_id)

    @cached_property
    def follower_people_by_project(self) -> DataLoader:
        return self._linked(self.links_by_project, "follower_people", self.user_by_id)

    @cached_property
    def follower_organizations_by_project(self) -> DataLoader:
        return self._linked(self.links_by_project, "follower_organizations", self.organization_by_id)

    # --- tasks of projects ---
    @cached_property
    def tasks_by_project(self) -> DataLoader:
        """Pages of a project's visible tasks, keyed by (project, first, after, status, labels)
        with the arguments checked (tasks.task_list_filters); for a page of projects, one
        statement per set of arguments, and one more for their counts if asked for."""

        async def fetch(projects: list[Project], first, after, status, labels) -> list:
            return await tasks.list_project_tasks(
                self.viewer,
                projects,
                first=first,
                after=after,
                status=status,
                labels=labels,
                count=lambda project: self.task_count_by_project.load((project, status, labels)),
            )

        return DataLoader(lambda keys: _per_arguments(keys, fetch), max_batch_size=PARENTS_PER_STATEMENT)

    @cached_property
    def task_count_by_project(self) -> DataLoader:
        """How many visible tasks a project has, keyed by (project, status, labels)."""

        async def fetch(projects: list[Project], status, labels) -> list[int]:
            return await tasks.count_project_tasks(self.viewer, projects, status=status, labels=labels)

        return DataLoader(lambda keys: _per_arguments(keys, fetch), max_batch_size=PARENTS_PER_STATEMENT)

    # --- time ---
    @cached_property
    def time_entries_by_task(self) -> DataLoader:
        async def fetch(keys: Keys):
            return [(e.task_id, e) for e in await TimeEntry.filter(task_id__in=keys).order_by("date", "id")]

        return _grouped(fetch)

    @cached_property
    def time_by_task(self) -> DataLoader:
        return _time_totals("task_id")

    @cached_property
    def time_by_project(self) -> DataLoader:
        return _time_totals("task__project_id", policy.tasks_counted(self.viewer))

    # --- conversations ---
    @cached_property
    def messages_by_task(self) -> DataLoader:
        """The messages of tasks; clients only ever get PUBLIC ones."""

        async def fetch(keys: Keys):
            query = Message.filter(task_id__in=keys)
            if not policy.sees_internal_records(self.viewer):
                query = query.filter(visibility=MessageVisibility.PUBLIC)
            return [(m.task_id, m) for m in await query.order_by("id")]

        return _grouped(fetch)

    @cached_property
    def recipients_by_message(self) -> DataLoader:
        return _grouped(lambda keys: self._people_through(MessageRecipient, "message_id", keys))

    # --- organizations ---
    @cached_property
    def departments_by_organization(self) -> DataLoader:
        async def fetch(keys: Keys):
            return [(d.organization_id, d) for d in await Department.filter(organization_id__in=keys).order_by("name", "id")]

        return _grouped(fetch)

    @cached_property
    def members_by_organization(self) -> DataLoader:
        async def fetch(keys: Keys):
            people = User.filter(policy.people_visible(self.viewer), organization_id__in=keys)
            return [(u.organization_id, u) for u in await people.order_by("name", "id")]

        return _grouped(fetch)

    @cached_property
    def visible_projects_by_client(self) -> DataLoader:
        async def fetch(keys: Keys):
            projects = Project.filter(policy.projects_visible(self.viewer), client_id__in=keys)
            return [(p.client_id, p) for p in await projects.order_by("name", "id")]

        return _grouped(fetch)

    @cached_property
    def visible_projects_followed_by_organization(self) -> DataLoader:
        async def fetch(keys: Keys):
            rows = await ProjectFollower.filter(organization_id__in=keys).values_list("organization_id", "project_id")
            projects = {
                p.id: p
                for p in await Project.filter(policy.projects_visible(self.viewer), id__in={p for _, p in rows}).order_by(
                    "name", "id"
                )
            }
            return [(o, projects[p]) for o, p in rows if p in projects]

        return _grouped(fetch)

    @cached_property
    def financial_summary_by_client(self) -> DataLoader:
        return DataLoader(lambda keys: reports.financial_summaries(self.viewer, keys))

    @cached_property
    def live_shares_by_organization(self) -> DataLoader:
        async def fetch(keys: Keys):
            shares = Share.filter(policy.shares_visible(self.viewer), policy.live_shares(), organization_id__in=keys)
            return [(s.organization_id, s) for s in await shares.order_by("id")]

        return _grouped(fetch)

    @cached_property
    def live_shares_by_user(self) -> DataLoader:
        async def fetch(keys: Keys):
            shares = Share.filter(policy.shares_visible(self.viewer), policy.live_shares(), user_id__in=keys)
            return [(s.user_id, s) for s in await shares.order_by("id")]

        return _grouped(fetch)
