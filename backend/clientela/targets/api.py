from __future__ import annotations

import datetime as dt

import strawberry

from clientela.graphql.context import Info
from clientela.targets import services
from clientela.targets.types import ResponseTargetPolicyType, WeekdayEnum, WorkspaceCalendarType
from clientela.tasks.types import TaskPriorityEnum


@strawberry.input
class WorkingDayInput:
    day: WeekdayEnum
    start: dt.time
    end: dt.time


@strawberry.input(description="The whole calendar: days left out are days off.")
class WorkspaceCalendarInput:
    time_zone: str = strawberry.field(description="An IANA time zone, such as Europe/Madrid.")
    working_hours: list[WorkingDayInput]
    holidays: list[dt.date] = strawberry.field(default_factory=list)


@strawberry.input
class PriorityTargetsInput:
    priority: TaskPriorityEnum
    first_response_hours: float | None = None
    resolution_hours: float | None = None


@strawberry.input(description="The whole policy: a priority left out, or a target null, has no target.")
class ResponseTargetPolicyInput:
    targets: list[PriorityTargetsInput]
    at_risk_percent: int | None = strawberry.field(default=None, description="Left out: unchanged (20 at first).")


@strawberry.type
class Query:
    @strawberry.field(description="Not for clients.")
    async def workspace_calendar(self, info: Info) -> WorkspaceCalendarType:
        return WorkspaceCalendarType.of(await services.target_settings(info.context.viewer))

    @strawberry.field(description="Not for clients.")
    async def response_target_policy(self, info: Info) -> ResponseTargetPolicyType:
        return ResponseTargetPolicyType.of(await services.target_settings(info.context.viewer))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admins only; every item's targets follow at once.")
    async def set_workspace_calendar(self, info: Info, input: WorkspaceCalendarInput) -> WorkspaceCalendarType:
        days = [services.WorkingDay(day=d.day, start=d.start, end=d.end) for d in input.working_hours]
        settings = await services.set_calendar(
            info.context.viewer, time_zone=input.time_zone, working_hours=days, holidays=input.holidays
        )
        return WorkspaceCalendarType.of(settings)

    @strawberry.mutation(description="Admins only; every item's targets follow at once.")
    async def set_response_targets(self, info: Info, input: ResponseTargetPolicyInput) -> ResponseTargetPolicyType:
        targets = [
            services.PriorityTargets(t.priority, first_response_hours=t.first_response_hours, resolution_hours=t.resolution_hours)
            for t in input.targets
        ]
        return ResponseTargetPolicyType.of(await services.set_targets(info.context.viewer, targets, input.at_risk_percent))
