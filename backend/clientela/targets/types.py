from __future__ import annotations

import datetime as dt

import strawberry

from clientela.targets.calendar import WEEKDAYS, Weekday
from clientela.targets.models import TargetKind, TargetSettings, TargetState
from clientela.tasks.models import TaskPriority
from clientela.tasks.types import TaskPriorityEnum

ResponseTargetKindEnum = strawberry.enum(TargetKind, name="ResponseTargetKind")
ResponseTargetStateEnum = strawberry.enum(TargetState, name="ResponseTargetState")
WeekdayEnum = strawberry.enum(Weekday, name="Weekday")


@strawberry.type(name="ResponseTarget", description="One response-time target of an item, in working time.")
class ResponseTargetType:
    kind: ResponseTargetKindEnum
    due_at: dt.datetime | None = strawberry.field(description="Null while the target is paused or met.")
    remaining_seconds: int = strawberry.field(
        description="Working time left: frozen while paused and once met; negative past the due time."
    )
    state: ResponseTargetStateEnum


@strawberry.type(name="WorkingDay")
class WorkingDayType:
    day: WeekdayEnum
    start: dt.time
    end: dt.time


@strawberry.type(name="WorkspaceCalendar", description="The working hours response-time targets count in.")
class WorkspaceCalendarType:
    time_zone: str
    working_hours: list[WorkingDayType]
    holidays: list[dt.date]

    @classmethod
    def of(cls, settings: TargetSettings) -> WorkspaceCalendarType:
        days = [
            WorkingDayType(day=day, start=dt.time.fromisoformat(span[0]), end=dt.time.fromisoformat(span[1]))
            for day in WEEKDAYS
            if (span := settings.working_hours.get(day.value))
        ]
        return cls(
            time_zone=settings.time_zone, working_hours=days, holidays=[dt.date.fromisoformat(d) for d in settings.holidays]
        )


@strawberry.type(name="PriorityTargets")
class PriorityTargetsType:
    priority: TaskPriorityEnum
    first_response_hours: float | None = strawberry.field(description="Working hours; null: no target.")
    resolution_hours: float | None


@strawberry.type(name="ResponseTargetPolicy")
class ResponseTargetPolicyType:
    targets: list[PriorityTargetsType] = strawberry.field(description="Every priority, in order.")
    at_risk_percent: int = strawberry.field(description="A running target is AT_RISK below this share of its time.")

    @classmethod
    def of(cls, settings: TargetSettings) -> ResponseTargetPolicyType:
        def hours(priority: TaskPriority, kind: TargetKind) -> float | None:
            allotted = settings.allotted(priority, kind)
            return None if allotted is None else allotted.total_seconds() / 3600

        return cls(
            targets=[
                PriorityTargetsType(
                    priority=p,
                    first_response_hours=hours(p, TargetKind.FIRST_RESPONSE),
                    resolution_hours=hours(p, TargetKind.RESOLUTION),
                )
                for p in TaskPriority
            ],
            at_risk_percent=settings.at_risk_percent,
        )
