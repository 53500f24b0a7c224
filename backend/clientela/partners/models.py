from __future__ import annotations

from tortoise import fields

from clientela.core.models import Entity


# A person's membership of a PARTNER firm. Not `User.organization`: a consultant may work with
# several firms, and belongs to none of the workspace's organizations for being in one.
class PartnerMember(Entity):
    partner = fields.ForeignKeyField("models.Organization", related_name="partner_members")
    user = fields.ForeignKeyField("models.User", related_name="partner_memberships")

    class Meta:
        table = "partner_member"
        unique_together = (("partner", "user"),)
        indexes = (("user_id", "partner_id"),)
