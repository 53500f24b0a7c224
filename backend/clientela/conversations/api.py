from __future__ import annotations

import strawberry

from clientela.conversations import services
from clientela.conversations.types import (
    ItemNotificationsEnum,
    MessageRecipientType,
    MessageType,
    PostMessageInput,
)
from clientela.graphql.context import Info
from clientela.tasks.types import TaskType


@strawberry.type
class Query:
    @strawberry.field(
        description="Who a PUBLIC message on this task would be emailed to, why, and how much history each would get.",
    )
    async def message_recipients(self, info: Info, task_id: strawberry.ID) -> list[MessageRecipientType]:
        return [MessageRecipientType.of(r) for r in await services.preview_recipients(info.context.viewer, task_id)]

    @strawberry.field(
        description="How many of the items the viewer sees have public messages of other people they have not read (Task.unread)."
    )
    async def portal_unread_count(self, info: Info) -> int:
        return await services.unread_count(info.context.viewer)


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

    @strawberry.mutation(description="The item page was opened: its messages so far are read (Task.unread).")
    async def mark_item_read(self, info: Info, task_id: strawberry.ID) -> TaskType:
        return await services.mark_read(info.context.viewer, task_id)

    @strawberry.mutation(description="Follow an item one sees (its public messages by email), mute it, or go back to DEFAULT.")
    async def set_item_notifications(self, info: Info, task_id: strawberry.ID, notifications: ItemNotificationsEnum) -> TaskType:
        return await services.set_notifications(info.context.viewer, task_id, notifications)

    @strawberry.mutation(
        description=(
            "A client copies colleagues of their organization who see the item on it: they follow it (a colleague who "
            "muted it stays muted). Anyone else is refused (BAD_USER_INPUT)."
        )
    )
    async def cc_colleagues(self, info: Info, task_id: strawberry.ID, user_ids: list[strawberry.ID]) -> TaskType:
        return await services.copy_colleagues(info.context.viewer, task_id, user_ids)
