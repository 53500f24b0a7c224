from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from clientela.core.models import Entity


class MessageVisibility(StrEnum):
    INTERNAL = "INTERNAL"
    PUBLIC = "PUBLIC"


# A note on a task or a project: INTERNAL stays with the firm, PUBLIC goes to clients.
class Message(Entity):

    workspace = fields.ForeignKeyField("models.Workspace", related_name="messages")
    task = fields.ForeignKeyField("models.Task", related_name="messages", null=True)
    project = fields.ForeignKeyField("models.Project", related_name="messages", null=True)
    author = fields.ForeignKeyField("models.User", related_name="messages")
    body = fields.TextField()
    visibility = fields.CharEnumField(MessageVisibility, max_length=16)
    # Written by an automation rule (its author is the workspace's automation identity).
    automated = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "message"
        indexes = (("task_id", "id"), ("project_id", "id"))


# Who a public message was emailed to, so that later emails know what each has seen.
class MessageRecipient(Entity):

    message = fields.ForeignKeyField("models.Message", related_name="recipient_rows")
    user = fields.ForeignKeyField("models.User", related_name="received_messages")

    class Meta:
        table = "message_recipient"
        unique_together = (("message", "user"),)
        indexes = (("user_id", "message_id"),)


# How far a person has read an item's conversation: set when they open the item
# (markItemRead); a public message of someone else created after `read_at` is unread.
class ReadMarker(Entity):
    task = fields.ForeignKeyField("models.Task", related_name=False)
    user = fields.ForeignKeyField("models.User", related_name=False)
    read_at = fields.DatetimeField()

    class Meta:
        table = "read_marker"
        unique_together = (("user", "task"),)


class ItemNotifications(StrEnum):
    # Emailed what the item's audience gets (conversations/audience.py), by attachment or following.
    DEFAULT = "DEFAULT"
    # Emailed its public messages while one may read them, without being attached to it.
    FOLLOWING = "FOLLOWING"
    # Emailed none of its public messages.
    MUTED = "MUTED"


# A person's choice for one item's emails (DEFAULT is no row). It grants nothing: whether the
# person reads the item is decided as for everyone else, at every message.
class ItemSubscription(Entity):
    task = fields.ForeignKeyField("models.Task", related_name=False)
    user = fields.ForeignKeyField("models.User", related_name=False)
    notifications = fields.CharEnumField(ItemNotifications, max_length=16)

    class Meta:
        table = "item_subscription"
        unique_together = (("task", "user"),)
        indexes = (("user_id", "notifications", "task_id"),)
