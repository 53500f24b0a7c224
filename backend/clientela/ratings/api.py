from __future__ import annotations

import strawberry

from clientela.graphql.context import Info
from clientela.ratings import services
from clientela.ratings.types import ItemRatingType, RateItemInput


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "A client rates a resolved item they requested (1 to 5, and a comment), where they see its status; rating it "
            "again replaces their rating. Ratings are shown to the firm's side only (Task.ratings, Project.rating, "
            "Organization.rating), and to the rater (Task.myRating)."
        )
    )
    async def rate_item(self, info: Info, input: RateItemInput) -> ItemRatingType:
        return await services.rate_item(info.context.viewer, input.task_id, input.score, input.comment)
