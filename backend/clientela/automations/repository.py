"""Rules, their events and runs, as Tortoise reads and writes them."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.automations.models import (
    AutomationEvent,
    AutomationRule,
    AutomationRuleProject,
    AutomationRun,
    TriggerKind,
)
from clientela.automations.rules import acknowledgement, identity_name
from clientela.conversations.models import Message, MessageVisibility
from clientela.core.lookup import fetch_visible
from clientela.core.pagination import Page, paginate
from clientela.organizations.models import OrganizationKind
from clientela.people.models import ContactPrivacy, User
from clientela.policy import Viewer
from clientela.projects.models import Project, ProjectMember
from clientela.tasks.models import Task, TaskRequester, TaskStatus
from clientela.workspaces.models import Workspace

# --- Rules -----------------------------------------------------------------------------------


async def rules(viewer: Viewer, first: int | None, after: str | None) -> Page:
    return await paginate(AutomationRule.filter(policy.automation_rules_visible(viewer)), first, after)


async def rule(viewer: Viewer, rule_id: object) -> AutomationRule:
    return await fetch_visible(AutomationRule, policy.automation_rules_visible(viewer), rule_id, "AutomationRule")


async def scope_of(rule_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(rule, project) of each project the rules are limited to."""
    return await AutomationRuleProject.filter(rule_id__in=rule_ids).order_by("id").values_list("rule_id", "project_id")


async def scope_projects(rule: AutomationRule) -> list[Project]:
    return await Project.filter(id__in=Subquery(AutomationRuleProject.filter(rule_id=rule.id).values("project_id")))


async def member_of(viewer: Viewer, projects: list[Project]) -> set[uuid.UUID]:
    """The projects of `projects` the viewer is a member of."""
    if not projects or viewer.user_id is None:
        return set()
    rows = await ProjectMember.filter(user_id=viewer.user_id, project_id__in=[p.id for p in projects]).values_list(
        "project_id", flat=True
    )
    return set(rows)


async def staff_people(workspace_id: uuid.UUID, user_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `user_ids` are the firm's own people (admins, members of an internal team)."""
    if not user_ids:
        return set()
    rows = await User.filter(
        Q(is_admin=True) | Q(organization__kind=OrganizationKind.INTERNAL),
        workspace_id=workspace_id,
        id__in=user_ids,
        is_automation=False,
    ).values_list("id", flat=True)
    return set(rows)


async def staff_to_email(workspace_id: uuid.UUID, user_ids: list[uuid.UUID]) -> list[User]:
    """The firm's own people of `user_ids` (an assignee who is not is not emailed)."""
    return await User.filter(id__in=list(await staff_people(workspace_id, user_ids))).order_by("id")


async def save_rule(rule: AutomationRule, project_ids: list[uuid.UUID]) -> AutomationRule:
    """A new or changed rule with its projects, all or nothing."""
    async with in_transaction():
        await rule.save()
        await AutomationRuleProject.filter(rule_id=rule.id).delete()
        await AutomationRuleProject.bulk_create([AutomationRuleProject(rule_id=rule.id, project_id=p) for p in project_ids])
    return rule


async def set_enabled(rule: AutomationRule, enabled: bool) -> None:
    rule.enabled = enabled
    await rule.save(update_fields=["enabled", "updated_at"])


async def delete_rule(rule: AutomationRule) -> None:
    async with in_transaction():
        await AutomationRuleProject.filter(rule_id=rule.id).delete()
        await AutomationRun.filter(rule_id=rule.id).update(rule_id=None)
        await AutomationRule.filter(id=rule.id).delete()


async def add_default_rules(workspace: Workspace) -> None:
    """The rules a new workspace starts with, and its automation identity."""
    name, trigger, actions = acknowledgement()
    await AutomationRule.create(workspace=workspace, name=name, trigger=trigger, actions=[a.to_document() for a in actions])
    await _create_identity(workspace.id, workspace.name)


# --- Runs ------------------------------------------------------------------------------------


async def runs(viewer: Viewer, rule: AutomationRule | None, task: Task | None, first: int | None, after: str | None) -> Page:
    found = AutomationRun.filter(policy.automation_runs_visible(viewer))
    if rule is not None:
        found = found.filter(rule_id=rule.id)
    if task is not None:
        found = found.filter(task_id=task.id)
    return await paginate(found, first, after, newest_first=True)


async def run_once(run: AutomationRun, act: Callable[[], Awaitable[None]]) -> bool:
    """Write `run` and do `act()` in one transaction: False, with nothing done, when a run of the
    same rule and event key exists (another worker ran it first, or this one did before a
    crash). Whatever `act` raises rolls both back and reaches the caller."""
    if await AutomationRun.exists(rule_id=run.rule_id, event_key=run.event_key):
        return False
    try:
        async with in_transaction():
            await run.save()
            await act()
    except IntegrityError:
        if await AutomationRun.exists(rule_id=run.rule_id, event_key=run.event_key):
            return False
        raise
    return True


async def record_run(run: AutomationRun) -> None:
    """A run written on its own (failed, or skipped), once per rule and event key."""
    try:
        async with in_transaction():
            await run.save()
    except IntegrityError:
        pass


async def keys_run(rule_id: uuid.UUID, keys: list[str]) -> set[str]:
    return set(await AutomationRun.filter(rule_id=rule_id, event_key__in=keys).values_list("event_key", flat=True))


# --- Events ----------------------------------------------------------------------------------


async def add_event(event: AutomationEvent) -> None:
    await event.save()


async def pending_events(limit: int) -> list[AutomationEvent]:
    return await AutomationEvent.filter(processed_at__isnull=True).order_by("id").limit(limit)


async def mark_processed(event: AutomationEvent, now: datetime) -> None:
    await AutomationEvent.filter(id=event.id).update(processed_at=now)


async def purge_events(before: datetime) -> int:
    return await AutomationEvent.filter(processed_at__lt=before).delete()


async def enabled_rules(workspace_ids: list[uuid.UUID] | None, triggers: frozenset[TriggerKind]) -> list[AutomationRule]:
    """The enabled rules of these triggers (of these workspaces; None: all), with their projects
    in `rule.project_ids`."""
    found = AutomationRule.filter(enabled=True, trigger__in=list(triggers))
    if workspace_ids is not None:
        found = found.filter(workspace_id__in=workspace_ids)
    found = await found.order_by("id")
    scope: dict[uuid.UUID, set[uuid.UUID]] = {r.id: set() for r in found}
    for rule_id, project_id in await scope_of(list(scope)):
        scope[rule_id].add(project_id)
    for r in found:
        r.project_ids = scope[r.id]
    return found


# --- What the rules act on -------------------------------------------------------------------


async def tasks_with_facts(task_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Task, set[uuid.UUID], User | None]]:
    """Each task with its project, the organizations of its requesters and its first requester."""
    tasks = await Task.filter(id__in=task_ids).select_related("project")
    rows = await TaskRequester.filter(task_id__in=task_ids).order_by("id").values_list("task_id", "organization_id", "user_id")
    organizations: dict[uuid.UUID, set[uuid.UUID]] = {t.id: set() for t in tasks}
    first: dict[uuid.UUID, uuid.UUID] = {}
    for task_id, organization_id, user_id in rows:
        if organization_id:
            organizations[task_id].add(organization_id)
        first.setdefault(task_id, user_id)
    people = {u.id: u for u in await User.filter(id__in=list(first.values()))}
    return {t.id: (t, organizations[t.id], people.get(first.get(t.id))) for t in tasks}


def _in_scope(query, rule: AutomationRule):
    query = query.filter(workspace_id=rule.workspace_id)
    return query.filter(project_id__in=list(rule.project_ids)) if rule.project_ids else query


async def tasks_due_between(rule: AutomationRule, start: datetime, end: datetime) -> list[tuple[uuid.UUID, object]]:
    """(task, due date) of the rule's open tasks due from `start` to before `end`."""
    query = Task.filter(due_date__gte=start.date(), due_date__lte=end.date()).exclude(status=TaskStatus.DONE)
    return await _in_scope(query, rule).values_list("id", "due_date")


async def unanswered_client_messages(
    rule: AutomationRule, since: datetime, until: datetime
) -> list[tuple[uuid.UUID, uuid.UUID, datetime]]:
    """(task, message, sent at) of the first client message after the firm's last public reply,
    on the rule's open tasks whose clients wrote publicly from `since` to `until` and have had
    no public reply from the firm since."""
    client_messages = Message.filter(
        workspace_id=rule.workspace_id,
        visibility=MessageVisibility.PUBLIC,
        task_id__isnull=False,
        created_at__gt=since,
        created_at__lte=until,
        author__organization__kind=OrganizationKind.CLIENT,
    ).exclude(task__status=TaskStatus.DONE)
    if rule.project_ids:
        client_messages = client_messages.filter(task__project_id__in=list(rule.project_ids))
    task_ids = list(set(await client_messages.values_list("task_id", flat=True)))
    if not task_ids:
        return []
    rows = (
        await Message.filter(task_id__in=task_ids, visibility=MessageVisibility.PUBLIC)
        .order_by("task_id", "id")
        .values_list("task_id", "id", "created_at", "author__organization__kind", "automated")
    )
    waiting: dict[uuid.UUID, tuple[uuid.UUID, datetime] | None] = {}
    for task_id, message_id, created_at, kind, automated in rows:
        if automated:
            continue  # an automatic acknowledgement is not the firm's answer
        if kind == OrganizationKind.CLIENT:
            waiting.setdefault(task_id, None)
            if waiting[task_id] is None:
                waiting[task_id] = (message_id, created_at)
        else:
            waiting[task_id] = None
    return [(task_id, found[0], found[1]) for task_id, found in waiting.items() if found is not None and found[1] <= until]


# --- The automation identity -----------------------------------------------------------------


async def automation_identity(workspace_id: uuid.UUID) -> User:
    """The workspace's automation identity, made the first time it is needed if the workspace
    predates it."""
    found = await User.filter(workspace_id=workspace_id, is_automation=True).order_by("id").first()
    if found is None:
        workspace = await Workspace.get(id=workspace_id)
        found = await _create_identity(workspace.id, workspace.name)
    return found


async def _create_identity(workspace_id: uuid.UUID, workspace_name: str) -> User:
    return await User.create(
        workspace_id=workspace_id,
        name=identity_name(workspace_name),
        is_automation=True,
        privacy=ContactPrivacy.HIDDEN_FROM_ALL,
    )
