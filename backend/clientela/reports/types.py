from __future__ import annotations

from typing import Annotated

import strawberry

from clientela.graphql.context import Info
from clientela.graphql.money import Money, in_currency
from clientela.reports.repository import FinancialSummary
from clientela.reports.services import TimeReport, TimeReportRow

LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]
LazyProject = Annotated["ProjectType", strawberry.lazy("clientela.projects.types")]


@strawberry.type(name="FinancialSummary")
class FinancialSummaryType:
    @strawberry.field
    def project_count(self: FinancialSummary) -> int:
        return self.project_count

    @strawberry.field
    async def budget(self: FinancialSummary, info: Info) -> Money:
        return await in_currency(info, self.budget)

    @strawberry.field
    async def billed(self: FinancialSummary, info: Info) -> Money:
        return await in_currency(info, self.billed)


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
        return await in_currency(info, self.billed)


@strawberry.type(name="TimeReport")
class TimeReportType:
    @strawberry.field
    def rows(self: TimeReport) -> list[TimeReportRowType]:
        return self.rows

    @strawberry.field(description="Of every row, also those beyond the first 1,000 shown.")
    def total_minutes(self: TimeReport) -> int:
        return self.total_minutes
