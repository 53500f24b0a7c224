from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from clientela.core.models import Entity


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


# An email written in the same transaction as the change that causes it; a worker
# delivers it. Its id is the stable Message-ID, so a retried delivery is recognisable.
class OutboxEmail(Entity):

    workspace = fields.ForeignKeyField("models.Workspace", related_name="outbox", null=True)
    kind = fields.CharField(max_length=40)
    to_address = fields.CharField(max_length=254)
    to_name = fields.CharField(max_length=200, default="")
    subject = fields.CharField(max_length=300)
    text_body = fields.TextField()
    html_body = fields.TextField()
    language = fields.CharField(max_length=16, default="en")
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    claimed_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")

    class Meta:
        table = "outbox_email"
        indexes = (("status", "next_attempt_at"),)
