"""Automation rules: making, changing and reading them and their runs, and recording the events
that fire them. What a rule does when it runs is automations/engine.py (the worker's)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from clientela import policy
from clientela.automations import repository
from clientela.automations.models import AutomationEvent, AutomationRule, TriggerKind
from clientela.automations.rules import Conditions, RuleAction, check_actions, check_trigger
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.core.pagination import Page
from clientela.organizations import repository as organizations
from clientela.people import repository as people
from clientela.policy import Viewer
from clientela.projects import repository as projects
from clientela.targets import services as targets
from clientela.targets.models import TargetClock, TargetState, TargetTransition
from clientela.tasks import repository as tasks
from clientela.tasks.models import Task


@dataclass
class RuleValues:
    """A whole rule, as made or replaced (Conditions and RuleAction are checked values already)."""

    name: str
    trigger: TriggerKind
    actions: list[RuleAction]
    hours: int | None = None
    enabled: bool = True
    project_ids: list = field(default_factory=list)
    conditions: Conditions = field(default_factory=Conditions)


@dataclass(frozen=True)
class Event:
    """Something that happened to an item and may fire rules. `occurrence` makes it one: two
    events of the same kind, item and occurrence run each rule once (a response-time target
    names its kind and due time, so telling the same breach twice does nothing more)."""

    kind: TriggerKind
    task_id: uuid.UUID
    workspace_id: uuid.UUID
    actor_id: uuid.UUID | None = None
    actor_is_client: bool = False
    occurrence: str | None = None
    extra: dict = field(default_factory=dict)


async def on_event(event: Event) -> None:
    """The entry point for other domains (response-time targets: TARGET_AT_RISK and
    TARGET_BREACHED, with `extra={"target": kind}`): the event is written in the caller's
    transaction, if one is open, and the worker runs the rules it fires."""
    await repository.add_event(
        AutomationEvent(
            workspace_id=event.workspace_id,
            kind=event.kind,
            task_id=event.task_id,
            actor_id=event.actor_id,
            actor_is_client=event.actor_is_client,
            occurrence=event.occurrence,
            extra=event.extra,
        )
    )


async def on_target_state(transition: TargetTransition, target: TargetClock) -> None:
    """A response-time target that became at risk or breached (the targets' worker pass, in the
    transaction that records the transition once) fires TARGET_AT_RISK or TARGET_BREACHED."""
    kind = TriggerKind.TARGET_BREACHED if transition.state is TargetState.BREACHED else TriggerKind.TARGET_AT_RISK
    await on_event(
        Event(
            kind=kind,
            task_id=transition.task_id,
            workspace_id=target.workspace_id,
            occurrence=f"{target.kind.value}:{transition.state.value}",
            extra={"target": target.kind.value},
        )
    )


# Wherever the targets' pass runs, its transitions reach the rules.
targets.subscribers.append(on_target_state)


async def record(viewer: Viewer, kind: TriggerKind, task: Task, **extra: object) -> None:
    """An event of what `viewer` did to `task`, for the services of tasks and conversations to
    call inside the transaction of the change. What the automation identity does fires nothing:
    an automation never triggers automations."""
    if viewer.user is None or viewer.user.is_automation:
        return
    await on_event(
        Event(
            kind=kind,
            task_id=task.id,
            workspace_id=task.workspace_id,
            actor_id=viewer.user_id,
            actor_is_client=viewer.is_client,
            extra={k: str(v) for k, v in extra.items()},
        )
    )


async def list_rules(viewer: Viewer, first: int | None, after: str | None) -> Page:
    policy.require_automations_reader(viewer)
    return await repository.rules(viewer, first, after)


async def get_rule(viewer: Viewer, rule_id: object) -> AutomationRule:
    policy.require_automations_reader(viewer)
    return await repository.rule(viewer, rule_id)


async def _require_scope(viewer: Viewer, scope: list) -> None:
    policy.require_manage_rule(viewer, scope, await repository.member_of(viewer, scope))


async def _checked(viewer: Viewer, values: RuleValues) -> tuple[dict, list[uuid.UUID]]:
    """The rule's columns and its projects, checked against what the viewer may do: every
    project managed by them, every person named one of the firm's people they see, every
    organization one they see."""
    scope = await projects.projects(viewer, values.project_ids) if values.project_ids else []
    await _require_scope(viewer, scope)
    actions = check_actions(values.actions)
    named = list(dict.fromkeys(u for a in actions for u in a.user_ids))
    if named:
        await people.visible_people(viewer, named)
        if await repository.staff_people(viewer.workspace_id, named) != set(named):
            raise BadUserInput("Rules assign, add as followers and email only the firm's own people.", field="user_ids")
    if values.conditions.requester_organization_ids:
        await organizations.organizations(viewer, list(values.conditions.requester_organization_ids))
    columns = {
        "name": validation.name(values.name),
        "enabled": values.enabled,
        "trigger": values.trigger,
        "trigger_hours": check_trigger(values.trigger, values.hours),
        "conditions": values.conditions.to_document(),
        "actions": [a.to_document() for a in actions],
    }
    return columns, [p.id for p in scope]


async def create_rule(viewer: Viewer, values: RuleValues) -> AutomationRule:
    columns, project_ids = await _checked(viewer, values)
    rule = AutomationRule(workspace_id=viewer.workspace_id, created_by_id=viewer.user_id, **columns)
    return await repository.save_rule(rule, project_ids)


async def _managed_rule(viewer: Viewer, rule_id: object) -> AutomationRule:
    rule = await get_rule(viewer, rule_id)
    await _require_scope(viewer, await repository.scope_projects(rule))
    return rule


async def update_rule(viewer: Viewer, rule_id: object, values: RuleValues) -> AutomationRule:
    """The rule replaced by `values`: checked against its old scope and its new one."""
    rule = await _managed_rule(viewer, rule_id)
    columns, project_ids = await _checked(viewer, values)
    rule.update_from_dict(columns)
    return await repository.save_rule(rule, project_ids)


async def set_rule_enabled(viewer: Viewer, rule_id: object, enabled: bool) -> AutomationRule:
    rule = await _managed_rule(viewer, rule_id)
    await repository.set_enabled(rule, enabled)
    return rule


async def delete_rule(viewer: Viewer, rule_id: object) -> bool:
    """The rule is gone; its runs stay, with its name, for admins."""
    await repository.delete_rule(await _managed_rule(viewer, rule_id))
    return True


async def list_runs(viewer: Viewer, rule_id: object | None, task_id: object | None, first: int | None, after: str | None) -> Page:
    """Newest first: the runs of the rules the viewer sees, of one rule or item if given."""
    policy.require_automations_reader(viewer)
    rule = await repository.rule(viewer, rule_id) if rule_id is not None else None
    task = await tasks.visible_task(viewer, task_id) if task_id is not None else None
    return await repository.runs(viewer, rule, task, first, after)
