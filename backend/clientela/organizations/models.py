from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from clientela.core.models import Entity


class OrganizationKind(StrEnum):
    INTERNAL = "INTERNAL"
    CLIENT = "CLIENT"
    # An outside consultant firm: its people (PartnerMember) are guests who reach clients only
    # through the shares the firm holds.
    PARTNER = "PARTNER"


class Organization(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name="organizations")
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(OrganizationKind, max_length=16)
    language = fields.CharField(max_length=16, null=True)
    # Whoever created a client organization owns it ("my clients").
    # A plain column, not a foreign key: person -> organization -> person would be a cycle.
    owner_id = fields.UUIDField(null=True, db_index=True)

    class Meta:
        table = "organization"
        indexes = (("workspace_id", "kind"),)


class Department(Entity):
    organization = fields.ForeignKeyField("models.Organization", related_name="departments")
    name = fields.CharField(max_length=200)

    class Meta:
        table = "department"
