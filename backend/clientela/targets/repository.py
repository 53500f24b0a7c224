"""Reads and writes of the targets: the workspace's settings, and the clocks of items, which
the tasks' and conversations' repositories move in the transactions of their own writes."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from clientela.core import clock
from clientela.core.sql import update_each
from clientela.targets.models import (
    TargetClock,
    TargetKind,
    TargetSettings,
    TargetState,
    TargetTransition,
    default_target_settings,
    derived,
)
from clientela.tasks.models import Task, TaskStatus

# Clocks read and written per page when the calendar or the targets change.
BATCH = 1000
DERIVED = ("due_at", "at_risk_at", "settled")


async def settings_of(workspace_id: uuid.UUID) -> TargetSettings:
    """The workspace's settings; the defaults (not stored) when it has none."""
    return await TargetSettings.get_or_none(workspace_id=workspace_id) or default_target_settings(workspace_id)


async def settings_of_workspaces(workspace_ids: list[uuid.UUID]) -> list[TargetSettings]:
    found = {s.workspace_id: s for s in await TargetSettings.filter(workspace_id__in=workspace_ids)}
    return [found.get(w) or default_target_settings(w) for w in workspace_ids]


FACTS = ("id", "task_id", "kind", "started_at", "paused_seconds", "paused_since", "met_at", "task__priority")


async def save_settings(settings: TargetSettings, then: Callable[[], Awaitable[None]]) -> None:
    """The settings saved, every target of the workspace not met yet derived again from its
    facts with them, and `then()` done, in one transaction: a list filtered or sorted by its
    targets is right from the next request. A met target keeps the verdict it was given. Read
    (as plain rows, with their item's priority) and written BATCH clocks at a time, by task."""
    async with in_transaction():
        await settings.save()
        await then()
        calendar = settings.calendar()
        unmet = TargetClock.filter(workspace_id=settings.workspace_id, met_at__isnull=True)
        last_task = None
        while True:
            page = unmet.filter(task_id__gt=last_task) if last_task else unmet
            clocks = await page.order_by("task_id", "kind").limit(BATCH).values_list(*FACTS)
            if not clocks:
                break
            last_task, last_kind = clocks[-1][1], clocks[-1][2]
            clocks += await unmet.filter(task_id=last_task, kind__gt=last_kind).values_list(*FACTS)
            updates, next_due = [], {}
            for clock_id, task_id, kind, *facts, priority in clocks:
                allotted = settings.allotted(priority, TargetKind(kind))
                due_at, at_risk_at, settled = derived(*facts, allotted, calendar, settings.at_risk_percent)
                updates.append((clock_id, due_at, at_risk_at, settled))
                soonest = next_due.get(task_id)
                if settled is None and due_at is not None and (soonest is None or due_at < soonest):
                    soonest = due_at
                next_due[task_id] = soonest
            await update_each(TargetClock, list(DERIVED), updates)
            await update_each(Task, ["target_due_at"], list(next_due.items()))


def _next_due(clocks: list[TargetClock]) -> datetime | None:
    running = [c.due_at for c in clocks if c.settled is None and c.due_at is not None]
    return min(running, default=None)


def _new_clock(task: Task, kind: TargetKind, now: datetime) -> TargetClock:
    paused = task.status in (TaskStatus.ON_HOLD, TaskStatus.DONE)
    return TargetClock(
        workspace_id=task.workspace_id, task_id=task.id, kind=kind, started_at=now, paused_since=now if paused else None
    )


async def _save(task: Task, clocks: list[TargetClock], settings: TargetSettings, *, new: bool) -> None:
    calendar = settings.calendar()
    for each in clocks:
        if not each.has_verdict:
            each.derive(settings.allotted(task.priority, each.kind), calendar, settings.at_risk_percent)
    if new:
        # Two client messages arriving at once may both start the first-response clock: the
        # first one written is the clock (one per item and kind), the other writes nothing.
        await TargetClock.bulk_create(clocks, ignore_conflicts=True)
    else:
        await TargetClock.bulk_update(clocks, fields=["paused_seconds", "paused_since", "met_at", *DERIVED])
    saved = {c.id for c in clocks}
    others = await TargetClock.filter(task_id=task.id).exclude(id__in=saved) if len(clocks) < len(TargetKind) else []
    task.target_due_at = _next_due([*clocks, *others])
    await Task.filter(id=task.id).update(target_due_at=task.target_due_at)


async def task_created(task: Task, *, by_client: bool) -> None:
    """Inside the transaction that creates `task`: its resolution clock starts, and its first
    response clock too when a client submitted it."""
    now = clock.now()
    kinds = [TargetKind.RESOLUTION] + ([TargetKind.FIRST_RESPONSE] if by_client else [])
    await _save(task, [_new_clock(task, kind, now) for kind in kinds], await settings_of(task.workspace_id), new=True)


async def task_changed(task: Task, before: TaskStatus) -> None:
    """Inside the transaction that changed the task's status (from `before`) or priority: its
    clocks pause while it is ON_HOLD or DONE, resolution is met at DONE and runs again when
    the item is reopened, and the targets of its priority apply."""
    clocks = await TargetClock.filter(task_id=task.id)
    if not clocks:
        return
    now = clock.now()
    settings = await settings_of(task.workspace_id)
    calendar = settings.calendar()
    stopped = (TaskStatus.ON_HOLD, TaskStatus.DONE)
    for each in clocks:
        if each.kind is TargetKind.RESOLUTION and before is TaskStatus.DONE and task.status is not TaskStatus.DONE:
            each.reopen(now, calendar)
        if task.status in stopped and each.met_at is None:
            if each.kind is TargetKind.RESOLUTION and task.status is TaskStatus.DONE:
                each.resume(now, calendar)
                each.met_at = now
            else:
                each.pause(now)
        elif task.status not in stopped:
            each.resume(now, calendar)
    await _save(task, clocks, settings, new=False)


async def public_message_posted(task: Task, *, by_client: bool) -> None:
    """Inside the transaction of a public message on `task`: a client's first starts the first
    response clock, the firm's first reply after it meets it."""
    existing = await TargetClock.get_or_none(task_id=task.id, kind=TargetKind.FIRST_RESPONSE)
    if by_client and existing is None:
        started = _new_clock(task, TargetKind.FIRST_RESPONSE, clock.now())
        await _save(task, [started], await settings_of(task.workspace_id), new=True)
    elif not by_client and existing is not None and existing.met_at is None:
        now = clock.now()
        settings = await settings_of(task.workspace_id)
        existing.resume(now, settings.calendar())
        existing.met_at = now
        await _save(task, [existing], settings, new=False)


async def clocks_of_tasks(task_ids: list[uuid.UUID]) -> list[TargetClock]:
    """The clocks of the tasks that have a target, first response first."""
    return await TargetClock.filter(task_id__in=task_ids, due_at__isnull=False).order_by("task_id", "kind")


def in_state(state: TargetState, now: datetime) -> Q:
    """Clocks in `state` at `now`, in SQL: the same rule as TargetClock.state_at."""
    running = Q(settled__isnull=True, due_at__isnull=False)
    if state is TargetState.BREACHED:
        return Q(settled=TargetState.BREACHED) | (running & Q(due_at__lte=now))
    if state is TargetState.AT_RISK:
        return running & Q(at_risk_at__lte=now, due_at__gt=now)
    if state is TargetState.RUNNING:
        return running & Q(at_risk_at__gt=now)
    return Q(settled=state)


def tasks_in_state(state: TargetState, now: datetime) -> Q:
    """Tasks with a target in `state` at `now`, as a filter on tasks."""
    return Q(id__in=Subquery(TargetClock.filter(in_state(state, now)).values("task_id")))


def _to_announce(now: datetime) -> Q:
    """Unmet clocks at risk or breached at `now` whose transition to that state is not
    recorded yet (breached without having been at risk: only the breach)."""
    at_risk = in_state(TargetState.AT_RISK, now) & Q(announced__isnull=True)
    breached = in_state(TargetState.BREACHED, now) & (Q(announced__isnull=True) | Q(announced=TargetState.AT_RISK))
    return Q(met_at__isnull=True) & (at_risk | breached)


async def clocks_to_announce(now: datetime, after: uuid.UUID | None, limit: int) -> list[TargetClock]:
    """A page (in id order, after `after`) of the clocks with a transition to record at `now`."""
    query = TargetClock.filter(_to_announce(now))
    if after is not None:
        query = query.filter(id__gt=after)
    return await query.order_by("id").limit(limit)


async def record_transitions(
    due: list[tuple[TargetClock, TargetState]],
    write: Callable[[TargetTransition, TargetClock], Awaitable[None]],
) -> int:
    """For each (target, state) of `due`, record that the target reached the state and run
    `write` with it, all in one transaction; the number recorded. The unique key decides
    between racing passes: a transition another pass recorded first (on PostgreSQL the insert
    waits for that pass to commit) is left out here, with nothing written for it; a `write`
    that fails undoes the whole page."""
    async with in_transaction():
        rows = [TargetTransition(task_id=target.task_id, kind=target.kind, state=state) for target, state in due]
        await TargetTransition.bulk_create(rows, ignore_conflicts=True)
        ours = set(await TargetTransition.filter(id__in=[r.id for r in rows]).values_list("id", flat=True))
        recorded = [(row, target) for row, (target, _) in zip(rows, due, strict=True) if row.id in ours]
        await update_each(TargetClock, ["announced"], [(target.id, row.state) for row, target in recorded])
        for row, target in recorded:
            await write(row, target)
    return len(recorded)
