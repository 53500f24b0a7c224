from __future__ import annotations

from tortoise import fields

from clientela.core.models import Entity


# The secret half of one person's reply address for one conversation (a task's, or a project's
# own when `task` is null). The address carries `key` with an HMAC of it under the secret key,
# so the table alone makes no usable address. `conversation_id` is the task's id, or the
# project's for its own conversation: a unique key, which a null `task` could not be.
class ReplyToken(Entity):
    user = fields.ForeignKeyField("models.User", related_name="reply_tokens")
    project = fields.ForeignKeyField("models.Project", related_name="reply_tokens")
    task = fields.ForeignKeyField("models.Task", related_name="reply_tokens", null=True)
    conversation_id = fields.UUIDField()
    key = fields.CharField(max_length=32, unique=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reply_token"
        unique_together = (("user", "conversation_id"),)


# A reply received by email and posted: one row per reply address and Message-ID, written in the
# transaction of the message, so that an email delivered twice is posted once.
class ReceivedEmail(Entity):
    token = fields.ForeignKeyField("models.ReplyToken", related_name="received")
    message_id_hash = fields.CharField(max_length=64)
    message = fields.ForeignKeyField("models.Message", related_name="received_as")

    class Meta:
        table = "received_email"
        unique_together = (("token", "message_id_hash"),)
