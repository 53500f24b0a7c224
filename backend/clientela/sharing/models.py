from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from clientela.core.models import Entity


class ShareRole(StrEnum):
    CONSULTANT = "CONSULTANT"
    CSR = "CSR"


class ShareStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    # Shown, never stored: a held share whose expires_at has passed (policy.share_status).
    EXPIRED = "EXPIRED"


# A client organization, and with it all its projects, shared with another consultant (`user`)
# or with a whole partner firm (`partner`, each of whose members holds it); exactly one is set.
class Share(Entity):
    organization = fields.ForeignKeyField("models.Organization", related_name="shares")
    user = fields.ForeignKeyField("models.User", related_name="shares", null=True)
    partner = fields.ForeignKeyField("models.Organization", related_name="partner_shares", null=True)
    role = fields.CharEnumField(ShareRole, max_length=16, default=ShareRole.CONSULTANT)
    status = fields.CharEnumField(ShareStatus, max_length=16, default=ShareStatus.PENDING)
    created_by = fields.ForeignKeyField("models.User", related_name="created_shares", null=True)
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "share"
        indexes = (("user_id", "status"), ("organization_id", "status"), ("partner_id", "status"))


# A reminder that a share expires soon, one row per share and expiry date: written in the same
# transaction as its emails, so that several workers racing write it (and them) once. A new
# date is a new row, and so a new reminder.
class ShareExpiryReminder(Entity):
    share = fields.ForeignKeyField("models.Share", related_name="expiry_reminders")
    expires_at = fields.DatetimeField()

    class Meta:
        table = "share_expiry_reminder"
        unique_together = (("share", "expires_at"),)
