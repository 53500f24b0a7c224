from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from clientela.core.models import Entity


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    # Not sent: at delivery, the recipient could no longer receive it (cancel_reason says why).
    CANCELLED = "CANCELLED"


# An email written in the same transaction as the change that causes it; a worker
# delivers it. Its id is the stable Message-ID, so a retried delivery is recognisable.
class OutboxEmail(Entity):

    workspace = fields.ForeignKeyField("models.Workspace", related_name="outbox", null=True)
    kind = fields.CharField(max_length=40)
    to_address = fields.CharField(max_length=254)
    # Who it is for and what it is about (a share, a project, a message), so that delivery can
    # check that the recipient may still receive it.
    recipient = fields.ForeignKeyField("models.User", related_name=False, null=True)
    about_id = fields.UUIDField(null=True)
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
    cancel_reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "outbox_email"
        indexes = (("status", "next_attempt_at"), ("status", "created_at"))
