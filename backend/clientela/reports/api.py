from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from clientela.graphql.context import Info
from clientela.reports import services
from clientela.reports.types import TimeReportType


@strawberry.type
class Query:
    @strawberry.field(description="Minutes and billed amounts per project and person, both dates included.")
    async def time_report(
        self, info: Info, from_: Annotated[dt.date, strawberry.argument(name="from")], to: dt.date
    ) -> TimeReportType:
        return await services.time_report(info.context.viewer, from_, to)
