from __future__ import annotations

from tortoise import fields

from clientela.core.models import Entity


# One firm's account. Nothing crosses workspaces.
class Workspace(Entity):

    name = fields.CharField(max_length=200)
    currency = fields.CharField(max_length=3, default="USD")
    language = fields.CharField(max_length=16, default="en")
    # The portal settings, validated against portal-config/portal-settings.schema.json.
    portal_settings: dict = fields.JSONField(default=dict)
    # Moves on, in the same transaction, with every write that changes which tasks a client's
    # portal shows; what is computed from those rows is cached against it (see
    # tasks.services.cached_client_task_count).
    visibility_generation = fields.BigIntField(default=0)

    class Meta:
        table = "workspace"
