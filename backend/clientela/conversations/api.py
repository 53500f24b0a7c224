from __future__ import annotations

import strawberry

from clientela.conversations import services
from clientela.conversations.types import (
    MessageRecipientType,
    MessageType,
    PostMessageInput,
)
from clientela.graphql.context import Info


@strawberry.type
class Query:
    @strawberry.field(
        description="Who a PUBLIC message on this task would be emailed to, why, and how much history each would get.",
    )
    async def message_recipients(self, info: Info, task_id: strawberry.ID) -> list[MessageRecipientType]:
        return [MessageRecipientType.of(r) for r in await services.preview_recipients(info.context.viewer, task_id)]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="PUBLIC messages are emailed to the client recipients.")
    async def post_message(self, info: Info, input: PostMessageInput) -> MessageType:
        return await services.post_message(
            info.context.viewer,
            task_id=input.task_id,
            project_id=input.project_id,
            body=input.body,
            visibility=input.visibility,
            include_history=input.include_history,
            file_ids=input.file_ids,
        )
