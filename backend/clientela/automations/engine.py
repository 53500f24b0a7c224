"""Running the rules, in the worker: the events that the changes wrote (process_events), and the
time-based triggers (scan_time_triggers). Each rule runs at most once per item and event: its
run row and its actions' effects are one transaction under a unique (rule, event key), so racing
workers, or a worker again after a crash, do it once. The actions are done by the workspace's
automation identity through the domains' own services (the same outbox, audience, languages
and history rules as a person's), and what it does records no event: no loops."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from clientela import policy
from clientela.automations import repository
from clientela.automations.models import FIRES, TIME_BASED, ActionKind, AutomationRule, AutomationRun, RunOutcome, TriggerKind
from clientela.automations.rules import RESPONSE_TARGET_SENTENCES, Conditions, Facts, RuleAction, pick_template, render
from clientela.conversations import services as conversations
from clientela.core.errors import ClientelaError
from clientela.mail.outbox import EmailKind, queue_email
from clientela.mail.rendering import supported_language
from clientela.people import repository as people
from clientela.people.language import effective_language
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.settings import get_settings
from clientela.targets import repository as targets
from clientela.targets.calendar import Calendar, NoWorkingTime, add_working_time
from clientela.targets.models import TargetKind
from clientela.tasks import services as tasks
from clientela.tasks.models import Task

log = logging.getLogger(__name__)

# How far back the no-reply scan looks for client messages: a backlog older than this (a worker
# stopped for a week) is not worth an automatic nudge.
NO_REPLY_LOOKBACK = timedelta(days=7)
EVENTS_PER_BATCH = 100


def working_hours_deadline(calendar: Calendar, start: datetime, hours: int) -> datetime:
    """When `hours` working hours of the workspace's calendar (the response-time targets') have
    passed since `start`: never earlier than `start + hours`, which the scan's first filter
    counts on."""
    try:
        return add_working_time(start, timedelta(hours=hours), calendar)
    except NoWorkingTime:  # a calendar without working hours: plain hours
        return start + timedelta(hours=hours)


def due_moment(due_date: date) -> datetime:
    """When an item of this due date is due: the day's start, UTC (the workspace calendar's
    time zone will take this place)."""
    return datetime.combine(due_date, time.min, tzinfo=UTC)


async def purge_events(before: datetime) -> None:
    """Events processed before `before` are done with (their runs stay)."""
    await repository.purge_events(before)


async def process_events(now: datetime | None = None) -> int:
    """Run the rules that a batch of pending events fire, each event marked processed after;
    how many events were processed (the worker polls again at once while there are some)."""
    now = now or datetime.now(UTC)
    events = await repository.pending_events(EVENTS_PER_BATCH)
    if not events:
        return 0
    fired = frozenset().union(*(FIRES[e.kind] for e in events))
    rules = await repository.enabled_rules(list({e.workspace_id for e in events}), fired)
    for event in events:
        matching = [r for r in rules if r.workspace_id == event.workspace_id and r.trigger in FIRES[event.kind]]
        key = f"{event.kind}:{event.occurrence}" if event.occurrence else f"event:{event.id}"
        for rule in matching:
            # Read again for each rule: an earlier rule may have changed the item.
            facts = (await repository.tasks_with_facts([event.task_id])).get(event.task_id)
            if facts is not None and _in_scope(rule, facts[0]):
                await _run(rule, facts, event.kind, f"{key}:{event.task_id}", event.actor_is_client)
        await repository.mark_processed(event, now)
    return len(events)


async def scan_time_triggers(now: datetime | None = None) -> int:
    """Fire DUE_DATE_NEAR (an open item whose due date is at most `hours` away, not yet due; once
    per item and due date) and NO_PUBLIC_REPLY (a client's public message without a public reply
    from the firm for `hours` working hours; once per such message). Rules that ran."""
    now = now or datetime.now(UTC)
    ran = 0
    for rule in await repository.enabled_rules(None, TIME_BASED):
        hours = rule.trigger_hours or 0
        if rule.trigger is TriggerKind.DUE_DATE_NEAR:
            found = await repository.tasks_due_between(rule, now, now + timedelta(hours=hours))
            due = {
                task_id: f"due:{task_id}:{due_date}"
                for task_id, due_date in found
                if due_moment(due_date) - timedelta(hours=hours) <= now < due_moment(due_date)
            }
            ran += await _fire(rule, due, actor_is_client=False)
        else:
            until = now - timedelta(hours=hours)
            found = await repository.unanswered_client_messages(rule, until - NO_REPLY_LOOKBACK, until)
            calendar = (await targets.settings_of(rule.workspace_id)).calendar() if found else None
            waiting = {
                task_id: f"no-reply:{task_id}:{message_id}"
                for task_id, message_id, sent_at in found
                if working_hours_deadline(calendar, sent_at, hours) <= now
            }
            ran += await _fire(rule, waiting, actor_is_client=True)
    return ran


async def _fire(rule: AutomationRule, keys: dict[uuid.UUID, str], *, actor_is_client: bool) -> int:
    done = await repository.keys_run(rule.id, list(keys.values()))
    due = {task_id: key for task_id, key in keys.items() if key not in done}
    facts = await repository.tasks_with_facts(list(due))
    ran = 0
    for task_id, key in due.items():
        if task_id in facts:
            ran += await _run(rule, facts[task_id], rule.trigger, key, actor_is_client)
    return ran


def _in_scope(rule: AutomationRule, task: Task) -> bool:
    return task.workspace_id == rule.workspace_id and (not rule.project_ids or task.project_id in rule.project_ids)


async def _run(rule: AutomationRule, facts: tuple, trigger: TriggerKind, key: str, actor_is_client: bool) -> int:
    """The rule on one item for one event, at most once; 1 if it ran its actions now."""
    task, organizations, requester = facts
    run = AutomationRun(
        workspace_id=rule.workspace_id, rule_id=rule.id, rule_name=rule.name, task_id=task.id, trigger=trigger, event_key=key
    )
    holds = Conditions.from_document(rule.conditions).holds(
        Facts(
            status=task.status,
            priority=task.priority,
            labels=frozenset(task.labels),
            requester_organization_ids=frozenset(organizations),
            actor_is_client=actor_is_client,
        )
    )
    if not holds:
        run.outcome = RunOutcome.SKIPPED
        await repository.record_run(run)
        return 0
    run.outcome = RunOutcome.SUCCEEDED
    identity = await repository.automation_identity(rule.workspace_id)
    actions = [RuleAction.from_document(a) for a in rule.actions]

    async def act() -> None:
        for action in actions:
            await _act(policy.automation_viewer(identity), action, rule, task, requester)

    try:
        return int(await repository.run_once(run, act))
    except ClientelaError as error:
        run.error = str(error)
    except Exception as error:
        log.exception("Automation rule %s failed on task %s", rule.id, task.id)
        run.error = f"{type(error).__name__}: {error}"
    run.outcome = RunOutcome.FAILED
    await repository.record_run(AutomationRun(**{f: getattr(run, f) for f in _RUN_FIELDS}))
    return 0


_RUN_FIELDS = ("workspace_id", "rule_id", "rule_name", "task_id", "trigger", "event_key", "outcome", "error")


def _placeholders(task: Task, requester: User | None) -> dict[str, str]:
    project = task.project
    return {
        "item": task.title,
        "requester": requester.name if requester else "",
        "project": project.name,
        "link": f"{get_settings().link_base}/projects/{project.id}?task={task.id}",
    }


async def _first_response_due(task: Task) -> tuple[datetime, str] | None:
    """When the item's running first-response target is due, and the workspace's time zone."""
    clocks = await targets.clocks_of_tasks([task.id])
    due = next((c.due_at for c in clocks if c.kind is TargetKind.FIRST_RESPONSE and c.met_at is None and c.paused_since is None and c.due_at), None)
    return (due, (await targets.settings_of(task.workspace_id)).time_zone) if due else None


def _response_target(due: tuple[datetime, str] | None, language: str) -> str:
    if due is None:
        return ""
    moment, zone = due
    local = moment.astimezone(ZoneInfo(zone))
    when = f"{format_date(local, 'long', locale=language)}, {format_time(local, 'HH:mm', locale=language)} ({zone})"
    return RESPONSE_TARGET_SENTENCES[language].format(when=when)


async def _act(viewer: Viewer, action: RuleAction, rule: AutomationRule, task: Task, requester: User | None) -> None:
    values = _placeholders(task, requester)
    due = await _first_response_due(task) if any("{response_target}" in t for t in action.templates.values()) else None

    def body_in(language: str) -> str:
        in_language = {**values, "response_target": _response_target(due, language)}
        return render(pick_template(action.templates, language, workspace_language), in_language)

    workspace_language = supported_language(await people.workspace_language(task.workspace_id))
    kind = action.kind
    if kind in (ActionKind.POST_PUBLIC_REPLY, ActionKind.POST_INTERNAL_NOTE):
        # Stored once, in the requester's language; each email in its recipient's.
        language = supported_language(await effective_language(requester)) if requester else workspace_language
        await conversations.post_automatic_message(
            viewer, task, public=kind is ActionKind.POST_PUBLIC_REPLY, body_in=body_in, language=language
        )
    elif kind is ActionKind.SET_STATUS:
        await tasks.update_task(viewer, task.id, tasks.TaskChanges(status=action.status))
    elif kind is ActionKind.SET_PRIORITY:
        await tasks.update_task(viewer, task.id, tasks.TaskChanges(priority=action.priority))
    elif kind is ActionKind.ADD_LABELS:
        await tasks.update_task(viewer, task.id, tasks.TaskChanges(labels=list(dict.fromkeys([*task.labels, *action.labels]))))
    elif kind is ActionKind.ASSIGN:
        await tasks.update_task(viewer, task.id, tasks.TaskChanges(assignee_id=action.user_ids[0]))
    elif kind is ActionKind.ADD_FOLLOWERS:
        await tasks.add_followers(viewer, task.id, list(action.user_ids))
    elif kind is ActionKind.EMAIL_STAFF:
        await _email_staff(action, rule, task, values, body_in)


async def _email_staff(action: RuleAction, rule: AutomationRule, task: Task, values: dict[str, str], body_in) -> None:
    ids = list(action.user_ids)
    if action.to_assignee and task.assignee_id:
        ids.append(task.assignee_id)
    for person in await repository.staff_to_email(task.workspace_id, list(dict.fromkeys(ids))):
        language = supported_language(await effective_language(person))
        await queue_email(
            EmailKind.AUTOMATION_NOTICE,
            person,
            {
                "rule_name": rule.name,
                "item_ref": task.ref or "",
                "item_title": values["item"],
                "item_url": values["link"],
                "body": body_in(language),
            },
            about=task.id,
        )
