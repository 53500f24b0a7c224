from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from clientela import policy
from clientela.conversations.models import ItemNotifications, Message, MessageVisibility
from clientela.conversations.services import Recipient
from clientela.graphql.context import Info
from clientela.policy import RecipientReason

MessageVisibilityEnum = strawberry.enum(MessageVisibility, name="MessageVisibility")
RecipientReasonEnum = strawberry.enum(RecipientReason, name="RecipientReason")
ItemNotificationsEnum = strawberry.enum(
    ItemNotifications,
    name="ItemNotifications",
    description=(
        "A person's choice for an item's emails. DEFAULT: as its audience gets them (its requesters and followers, who "
        "follows its project where the portal shows them the item); FOLLOWING: its public messages too, while the "
        "person may read them (following grants nothing); MUTED: none of its emails."
    ),
)

LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]
LazyFile = Annotated["FileType", strawberry.lazy("clientela.files.types")]


@strawberry.input
class PostMessageInput:
    task_id: strawberry.ID | None = None
    project_id: strawberry.ID | None = None
    body: str
    visibility: MessageVisibilityEnum
    include_history: bool = True
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The author's own pending uploads (POST /files) to attach to the message."
    )


@strawberry.type(name="Message")
class MessageType:
    id: strawberry.ID
    body: str
    visibility: MessageVisibilityEnum
    created_at: dt.datetime
    automated: bool = strawberry.field(description="Written by an automation rule (its author is the workspace's automation identity).")

    @strawberry.field
    async def author(self: Message, info: Info) -> LazyUser:
        return await info.context.loaders.user_by_id.load(self.author_id)

    @strawberry.field(
        description=(
            "Written by the firm's side (its staff, the people it shares the client with, an automation), not by a "
            "person of a client organization; every reader of the message reads it, though a client does not see "
            "the firm's organizations."
        )
    )
    async def from_firm(self: Message, info: Info) -> bool:
        loaders = info.context.loaders
        author = await loaders.user_by_id.load(self.author_id)
        kind = await loaders.kind_of_organization.load(author.organization_id) if author.organization_id else None
        return policy.written_by_firm(kind)

    @strawberry.field(description="Its files; null for clients where the portal settings do not list ATTACHMENTS.")
    async def files(self: Message, info: Info) -> list[LazyFile] | None:
        if not policy.sees_attachments(info.context.viewer):
            return None
        return await info.context.loaders.files_by_message.load(self.id)

    @strawberry.field(description="Who the message was emailed to; null for clients.")
    async def recipients(self: Message, info: Info) -> list[LazyUser] | None:
        if not policy.sees_internal_records(info.context.viewer):
            return None
        return await info.context.loaders.recipients_by_message.load(self.id)


@strawberry.type(name="MessageRecipient", description="Who a PUBLIC message would be emailed to, and why.")
class MessageRecipientType:
    user: LazyUser
    reason: RecipientReasonEnum
    unseen_public_messages: int = strawberry.field(
        description="Earlier public messages of the conversation this person has not been sent yet.",
    )

    @staticmethod
    def of(recipient: Recipient) -> MessageRecipientType:
        return MessageRecipientType(
            user=recipient.user, reason=recipient.reason, unseen_public_messages=recipient.unseen_public_messages
        )
