"""Response-time targets: the workspace's calendar and targets per priority (admins change
them), each item's targets as the firm sees them, and the worker's pass that announces targets
at risk or breached to whoever subscribed (the automation rules)."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clientela import policy
from clientela.audit import services as audit
from clientela.core import clock
from clientela.core.errors import BadUserInput
from clientela.policy import Action, Viewer
from clientela.targets import repository
from clientela.targets.calendar import WEEKDAYS, Calendar, Weekday
from clientela.targets.models import TargetClock, TargetKind, TargetSettings, TargetState, TargetTransition
from clientela.tasks.models import TaskPriority

# Targets beyond a working year are no promise.
LONGEST_TARGET_HOURS = 2000
MAX_HOLIDAYS = 366
TARGETS_PER_ITEM = len(TargetKind)


@dataclass(frozen=True)
class ResponseTarget:
    kind: TargetKind
    due_at: dt.datetime | None  # None while paused or met
    remaining_seconds: int
    state: TargetState


def describe(target: TargetClock, calendar: Calendar, now: dt.datetime) -> ResponseTarget:
    """One target of an item as the firm sees it at `now`."""
    state = target.state_at(now)
    running = target.met_at is None and target.paused_since is None
    remaining = int(target.remaining(now, calendar).total_seconds())
    return ResponseTarget(kind=target.kind, due_at=target.due_at if running else None, remaining_seconds=remaining, state=state)


async def target_settings(viewer: Viewer) -> TargetSettings:
    policy.require(viewer, Action.READ_TARGET_SETTINGS)
    return await repository.settings_of(viewer.workspace_id)


@dataclass
class WorkingDay:
    day: Weekday
    start: dt.time
    end: dt.time


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadUserInput(f"Unknown time zone {name!r}: use an IANA name such as Europe/Madrid.", field="time_zone") from None
    return name


def _working_hours(days: list[WorkingDay]) -> dict:
    hours: dict = {}
    for each in days:
        if each.day in hours:
            raise BadUserInput("Name each working day once.", field="working_hours")
        if not each.start < each.end:
            raise BadUserInput(f"{each.day.title()} must start before it ends.", field="working_hours")
        hours[each.day] = [each.start.isoformat("minutes"), each.end.isoformat("minutes")]
    if not hours:
        raise BadUserInput("A calendar needs at least one working day.", field="working_hours")
    return {day.value: hours[day] for day in WEEKDAYS if day in hours}


async def set_calendar(
    viewer: Viewer, *, time_zone: str, working_hours: list[WorkingDay], holidays: list[dt.date]
) -> TargetSettings:
    """The workspace's working calendar (admins); every item's targets follow it at once."""
    policy.require(viewer, Action.MANAGE_TARGET_SETTINGS)
    zone = _time_zone(time_zone.strip())
    hours = _working_hours(working_hours)
    if len(set(holidays)) > MAX_HOLIDAYS:
        raise BadUserInput(f"At most {MAX_HOLIDAYS} holidays.", field="holidays")
    settings = await repository.settings_of(viewer.workspace_id)
    settings.time_zone, settings.working_hours = zone, hours
    settings.holidays = [d.isoformat() for d in sorted(set(holidays))]
    await repository.save_settings(settings, then=lambda: audit.record(viewer, "targets.calendar", calendar_summary(settings)))
    return settings


def calendar_summary(settings: TargetSettings) -> str:
    """For the audit log: "Working calendar set: Europe/Madrid, Mon–Fri 09:00–17:00, 2 holidays"
    (consecutive days with the same hours as one range)."""
    spans = []
    for hours, days in itertools.groupby(WEEKDAYS, key=lambda day: tuple(settings.working_hours.get(day.value, ()))):
        if hours:
            names = [day.value[:3].title() for day in days]
            spans.append(f"{names[0] if len(names) == 1 else f'{names[0]}–{names[-1]}'} {hours[0]}–{hours[1]}")
    count = len(settings.holidays)
    holidays = f"{count} holiday{'' if count == 1 else 's'}" if count else "no holidays"
    return f"Working calendar set: {settings.time_zone}, {', '.join(spans)}, {holidays}"


@dataclass
class PriorityTargets:
    priority: TaskPriority
    first_response_hours: float | None
    resolution_hours: float | None


def _allotted(hours: float | None, field: str) -> int | None:
    """Working hours as whole seconds; NaN and infinities fail the comparison too."""
    if hours is None:
        return None
    if not 1 / 60 <= hours <= LONGEST_TARGET_HOURS:
        raise BadUserInput(f"A target is between one minute and {LONGEST_TARGET_HOURS} working hours.", field=field)
    return round(hours * 3600)


async def set_targets(viewer: Viewer, targets: list[PriorityTargets], at_risk_percent: int | None) -> TargetSettings:
    """The targets per priority (admins); a priority left out, or a target null, has none.
    Every item's targets follow at once."""
    policy.require(viewer, Action.MANAGE_TARGET_SETTINGS)
    if len({t.priority for t in targets}) != len(targets):
        raise BadUserInput("Name each priority once.", field="targets")
    stored = {}
    for each in targets:
        kinds = {
            TargetKind.FIRST_RESPONSE.value: _allotted(each.first_response_hours, "first_response_hours"),
            TargetKind.RESOLUTION.value: _allotted(each.resolution_hours, "resolution_hours"),
        }
        if kinds := {k: v for k, v in kinds.items() if v is not None}:
            stored[each.priority.value] = kinds
    if at_risk_percent is not None and not 1 <= at_risk_percent <= 99:
        raise BadUserInput("atRiskPercent is between 1 and 99.", field="at_risk_percent")
    settings = await repository.settings_of(viewer.workspace_id)
    settings.targets = stored
    if at_risk_percent is not None:
        settings.at_risk_percent = at_risk_percent
    await repository.save_settings(settings, then=lambda: audit.record(viewer, "targets.policy", targets_summary(settings)))
    return settings


def targets_summary(settings: TargetSettings) -> str:
    """For the audit log: "Response targets set: URGENT first response 0.5 h, resolution 4 h;
    NORMAL resolution 40 h; at risk with less than 20% left", the most urgent first."""
    parts = []
    for priority in reversed(TaskPriority):
        if allotted := settings.targets.get(priority.value):
            hours = [f"{kind.lower().replace('_', ' ')} {allotted[kind] / 3600:g} h" for kind in TargetKind if kind in allotted]
            parts.append(f"{priority.value} {', '.join(hours)}")
    return f"Response targets set: {'; '.join(parts) or 'none'}; at risk with less than {settings.at_risk_percent}% left"


# --- Announcing transitions ----------------------------------------------------------------

TargetStateSubscriber = Callable[[TargetTransition, TargetClock], Awaitable[None]]
# Called, inside the transaction that records a transition, for each target that reached
# AT_RISK or BREACHED: what a subscriber writes exists exactly when the record does, once.
subscribers: list[TargetStateSubscriber] = []


async def on_target_state(transition: TargetTransition, target: TargetClock) -> None:
    for subscriber in subscribers:
        await subscriber(transition, target)


PASS_PAGE = 1000


async def announce_target_states(now: dt.datetime | None = None) -> int:
    """The worker's pass: record each target that reached AT_RISK or BREACHED by `now` and
    tell the subscribers (`on_target_state`), once per item, kind and state however many
    workers run it at once. The number of transitions recorded by this pass."""
    now = now or clock.now()
    recorded = 0
    after: uuid.UUID | None = None
    while page := await repository.clocks_to_announce(now, after, PASS_PAGE):
        after = page[-1].id
        # A target breached before any pass saw it at risk records only the breach.
        recorded += await repository.record_transitions([(t, t.state_at(now)) for t in page], on_target_state)
    return recorded
