from __future__ import annotations

from tortoise import fields

from clientela.core.models import Entity


# A sign-in. Only a keyed hash of the bearer token is kept.
class Session(Entity):

    user = fields.ForeignKeyField("models.User", related_name="sessions")
    token_hash = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "session"


# A create/reset-password link. Single use, short-lived, stored as a hash.
class PasswordToken(Entity):

    user = fields.ForeignKeyField("models.User", related_name="password_tokens")
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "password_token"


# One attempt counted against a rate limit; kept in the database so that every server
# process sees the same counts.
class ThrottleHit(Entity):

    key = fields.CharField(max_length=300)

    class Meta:
        table = "throttle_hit"
        indexes = (("key", "created_at"),)
