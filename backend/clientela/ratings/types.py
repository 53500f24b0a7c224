from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from clientela.graphql.context import Info
from clientela.ratings.models import ItemRating

LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]


@strawberry.type(name="ItemRating", description="A client's rating of a resolved item they requested.")
class ItemRatingType:
    score: int = strawberry.field(description="1 (worst) to 5 (best).")
    comment: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @strawberry.field
    async def user(self: ItemRating, info: Info) -> LazyUser:
        return await info.context.loaders.user_by_id.load(self.user_id)


@strawberry.type(name="RatingSummary", description="Clients' ratings of items: their average and how many there are.")
class RatingSummaryType:
    average: float | None = strawberry.field(description="Null while there is none.")
    count: int

    @staticmethod
    def of(summary: tuple[float | None, int]) -> RatingSummaryType:
        average, count = summary
        return RatingSummaryType(average=None if average is None else round(average, 2), count=count)


@strawberry.input
class RateItemInput:
    task_id: strawberry.ID
    score: int
    comment: str | None = None
