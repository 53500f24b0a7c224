from __future__ import annotations

from tortoise import fields

from clientela.core.models import Entity


class AuditEntry(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name="audit_entries")
    organization = fields.ForeignKeyField("models.Organization", related_name="audit_entries", null=True)
    actor = fields.ForeignKeyField("models.User", related_name="audit_entries", null=True)
    action = fields.CharField(max_length=60)
    summary = fields.TextField()
    # Set for entries written at most once (a preview: once per previewer, person and hour):
    # the unique index keeps concurrent writers to one entry.
    once_key = fields.CharField(max_length=200, null=True, unique=True)

    class Meta:
        table = "audit_entry"
        indexes = (("workspace_id", "id"), ("organization_id", "id"))
