from __future__ import annotations

from typing import Annotated

import strawberry

from clientela.graphql.context import Info
from clientela.graphql.money import Money
from clientela.reports.services import FinancialSummary, TimeReportRow

LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]
LazyProject = Annotated["ProjectType", strawberry.lazy("clientela.projects.types")]


async def _currency(info: Info) -> str:
    return (await info.context.loaders.workspace_by_id.load(info.context.viewer.workspace_id)).currency


@strawberry.type(name="FinancialSummary")
class FinancialSummaryType:
    @strawberry.field(name="projectCount")
    def project_count(self: FinancialSummary) -> int:
        return self.project_count

    @strawberry.field
    async def budget(self: FinancialSummary, info: Info) -> Money:
        return Money(amount=self.budget, currency=await _currency(info))

    @strawberry.field
    async def billed(self: FinancialSummary, info: Info) -> Money:
        return Money(amount=self.billed, currency=await _currency(info))


@strawberry.type(name="TimeReportRow")
class TimeReportRowType:
    minutes: int

    @strawberry.field
    async def project(self: TimeReportRow, info: Info) -> LazyProject:
        return await info.context.loaders.project_by_id.load(self.project_id)

    @strawberry.field
    async def user(self: TimeReportRow, info: Info) -> LazyUser:
        return await info.context.loaders.user_by_id.load(self.user_id)

    @strawberry.field
    async def billed(self: TimeReportRow, info: Info) -> Money | None:
        return None if self.billed is None else Money(amount=self.billed, currency=await _currency(info))


@strawberry.type(name="TimeReport")
class TimeReportType:
    rows: list[TimeReportRowType]

    @strawberry.field(name="totalMinutes")
    def total_minutes(self) -> int:
        return sum(row.minutes for row in self.rows)
