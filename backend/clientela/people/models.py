from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from clientela.core.models import Entity


class ContactPrivacy(StrEnum):
    VISIBLE_TO_ALL = "VISIBLE_TO_ALL"
    HIDDEN_FROM_CLIENTS = "HIDDEN_FROM_CLIENTS"
    HIDDEN_FROM_ALL = "HIDDEN_FROM_ALL"


# A person of one workspace: staff, client contact or invited consultant. The same email
# address may be a person in several workspaces, each unaware of the others.
class User(Entity):

    workspace = fields.ForeignKeyField("models.Workspace", related_name="people")
    name = fields.CharField(max_length=200)
    # Lower-cased; unique within the workspace.
    email = fields.CharField(max_length=254, null=True)
    phone = fields.CharField(max_length=64, null=True)
    # Name and email folded for case- and accent-insensitive search.
    search_text = fields.CharField(max_length=460, default="")
    password_hash = fields.CharField(max_length=255, null=True)
    is_admin = fields.BooleanField(default=False)
    invited = fields.BooleanField(default=False)
    organization = fields.ForeignKeyField("models.Organization", related_name="members", null=True)
    department = fields.ForeignKeyField("models.Department", related_name="members", null=True)
    language = fields.CharField(max_length=16, null=True)
    privacy = fields.CharEnumField(ContactPrivacy, max_length=24, default=ContactPrivacy.VISIBLE_TO_ALL)
    # Last time the person authenticated: signed in, or set a password from an emailed link.
    # Of the people of one address, a sign-in without workspaceId tries the latest.
    last_sign_in_at = fields.DatetimeField(null=True)
    # The workspace's automation identity, the author of what its rules write: no email and no
    # password, so it never signs in, and what it does triggers no rule (no loops).
    is_automation = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "person"
        unique_together = (("workspace", "email"),)
        indexes = (("organization_id", "name"),)
