"""Response-time targets: a workspace's calendar and targets, and each item's clocks.

A clock stores facts only where they happen (when it started, its finished pauses in working
time, the pause under way, when it was met) and, derived from them with the calendar and the
target of the item's priority, the moments a list filters and sorts on (`due_at`, `at_risk_at`)
and the state of a clock that no longer runs (`settled`). Every write that changes a fact or
what is derived from it (a status, a priority, the calendar, the targets) derives again in the
same transaction, so the state is right on the next request with no job."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from tortoise import fields

from clientela.core.models import Entity
from clientela.targets.calendar import WEEKDAYS, Calendar, WorkingHours, add_working_time, working_time_left


class TargetKind(StrEnum):
    FIRST_RESPONSE = "FIRST_RESPONSE"
    RESOLUTION = "RESOLUTION"


class TargetState(StrEnum):
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    MET = "MET"
    AT_RISK = "AT_RISK"
    BREACHED = "BREACHED"


DEFAULT_AT_RISK_PERCENT = 20


# A workspace's working calendar and its targets per priority. A workspace without a row works
# Monday to Friday, 09:00-17:00 UTC, and has no targets.
class TargetSettings(Entity):
    workspace = fields.OneToOneField("models.Workspace", related_name="target_settings")
    time_zone = fields.CharField(max_length=64, default="UTC")
    # {"MONDAY": ["09:00", "17:00"], …}: the days named work those hours, the others not at all.
    working_hours: dict = fields.JSONField(default=dict)
    holidays: list = fields.JSONField(default=list)  # ISO dates
    # {"URGENT": {"FIRST_RESPONSE": 3600, "RESOLUTION": 28800}, …}: working seconds allotted.
    targets: dict = fields.JSONField(default=dict)
    # A running target is AT_RISK once less than this share of its allotted time is left.
    at_risk_percent = fields.IntField(default=DEFAULT_AT_RISK_PERCENT)

    class Meta:
        table = "target_settings"

    def calendar(self) -> Calendar:
        hours = tuple(
            WorkingHours(dt.time.fromisoformat(span[0]), dt.time.fromisoformat(span[1]))
            if (span := self.working_hours.get(day))
            else None
            for day in WEEKDAYS
        )
        holidays = frozenset(dt.date.fromisoformat(d) for d in self.holidays)
        return Calendar(time_zone=self.time_zone, hours=hours, holidays=holidays)

    def allotted(self, priority: str, kind: TargetKind) -> dt.timedelta | None:
        seconds = self.targets.get(priority, {}).get(kind.value)
        return None if seconds is None else dt.timedelta(seconds=seconds)


def default_target_settings(workspace_id) -> TargetSettings:
    week = {day.value: ["09:00", "17:00"] for day in WEEKDAYS[:5]}
    return TargetSettings(workspace_id=workspace_id, working_hours=week)


# One target of one item: first response (from a client's first submission or public message
# to the firm's first public reply) or resolution (from creation to DONE).
class TargetClock(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False)
    task = fields.ForeignKeyField("models.Task", related_name="target_clocks")
    kind = fields.CharEnumField(TargetKind, max_length=16)
    started_at = fields.DatetimeField()
    paused_seconds = fields.IntField(default=0)  # working time of finished pauses
    paused_since = fields.DatetimeField(null=True)
    met_at = fields.DatetimeField(null=True)
    # Derived; all three None when the item's priority has no target of this kind.
    due_at = fields.DatetimeField(null=True)
    at_risk_at = fields.DatetimeField(null=True)
    settled = fields.CharEnumField(TargetState, max_length=16, null=True)  # None while running
    # The last transition recorded (AT_RISK, then BREACHED), so that the worker's pass reads
    # only clocks with one left to record; TargetTransition keeps each once.
    announced = fields.CharEnumField(TargetState, max_length=16, null=True)

    class Meta:
        table = "target_clock"
        unique_together = (("task", "kind"),)
        # The state filters read running clocks by their moments; a settings change reads a
        # workspace's clocks a page of tasks at a time.
        indexes = (("settled", "due_at"), ("settled", "at_risk_at"), ("workspace_id", "task_id"))

    @property
    def has_verdict(self) -> bool:
        """Met, and judged met or breached: nothing changes that any more."""
        return self.met_at is not None and self.settled in (TargetState.MET, TargetState.BREACHED)

    def derive(self, allotted: dt.timedelta | None, calendar: Calendar, at_risk_percent: int) -> None:
        """Recompute what is derived from the facts, for a target of `allotted` working time."""
        facts = (self.started_at, self.paused_seconds, self.paused_since, self.met_at)
        self.due_at, self.at_risk_at, self.settled = derived(*facts, allotted, calendar, at_risk_percent)

    def state_at(self, now: dt.datetime) -> TargetState:
        if self.settled is not None:
            return self.settled
        if now >= self.due_at:
            return TargetState.BREACHED
        return TargetState.AT_RISK if now >= self.at_risk_at else TargetState.RUNNING

    def remaining(self, now: dt.datetime, calendar: Calendar) -> dt.timedelta:
        """Working time left: until now while running, frozen at the pause or when met."""
        stopped = self.met_at or self.paused_since or now
        return working_time_left(stopped, self.due_at, calendar)

    def pause(self, now: dt.datetime) -> None:
        if self.paused_since is None:
            self.paused_since = now

    def resume(self, now: dt.datetime, calendar: Calendar) -> None:
        if self.paused_since is not None:
            pause = working_time_left(self.paused_since, now, calendar)
            self.paused_seconds += int(pause.total_seconds())
            self.paused_since = None

    def reopen(self, now: dt.datetime, calendar: Calendar) -> None:
        """A resolved item reopened: the time it spent resolved does not count."""
        if self.met_at is not None:
            self.paused_since = self.met_at
            self.met_at = None
            self.resume(now, calendar)


def derived(
    started_at: dt.datetime,
    paused_seconds: int,
    paused_since: dt.datetime | None,
    met_at: dt.datetime | None,
    allotted: dt.timedelta | None,
    calendar: Calendar,
    at_risk_percent: int,
) -> tuple[dt.datetime | None, dt.datetime | None, TargetState | None]:
    """A clock's (due_at, at_risk_at, settled) from its facts, for a target of `allotted`
    working time (all None without a target)."""
    if allotted is None:
        return None, None, None
    paused = dt.timedelta(seconds=paused_seconds)
    due_at = add_working_time(started_at, allotted + paused, calendar)
    at_risk_at = add_working_time(started_at, allotted * (100 - at_risk_percent) / 100 + paused, calendar)
    if met_at is not None:
        settled = TargetState.MET if met_at <= due_at else TargetState.BREACHED
    elif paused_since is not None:
        settled = TargetState.BREACHED if due_at <= paused_since else TargetState.PAUSED
    else:
        settled = None
    return due_at, at_risk_at, settled


# That a target reached AT_RISK or BREACHED, written once per item, kind and state (the unique
# key decides between racing workers) with whatever the subscribers do.
class TargetTransition(Entity):
    task = fields.ForeignKeyField("models.Task", related_name=False)
    kind = fields.CharEnumField(TargetKind, max_length=16)
    state = fields.CharEnumField(TargetState, max_length=16)

    class Meta:
        table = "target_transition"
        unique_together = (("task", "kind", "state"),)
