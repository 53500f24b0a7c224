"""What every table shares: a time-ordered UUID key and a creation time."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from clientela.core.ids import uuid7


class Entity(Model):
    id = fields.UUIDField(primary_key=True, default=uuid7)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True
