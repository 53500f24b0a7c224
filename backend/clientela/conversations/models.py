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
