from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from clientela.core.models import Entity


# A sign-in. Only a keyed hash of the bearer token is kept. It ends at `idle_expires_at` unless
# refreshed before (a refresh rotates the token and moves that on), and at `expires_at` whatever
# happens; "keep me signed in" (`kept`) makes both limits longer (accounts/sessions.py).
class Session(Entity):

    user = fields.ForeignKeyField("models.User", related_name="sessions")
    token_hash = fields.CharField(max_length=64, unique=True)
    kept = fields.BooleanField(default=False, db_default=False)
    # Null only for sessions older than these limits: they have ended.
    idle_expires_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)

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


# A fair-use budget (token bucket) of one session or client address, shared by every server
# process: its tokens as of `updated_at` (seconds since the epoch). See clientela.fair_use.
class FairUseBucket(Model):

    # "<bucket>:s:<hash of the session token>" or "<bucket>:ip:<client address>".
    id = fields.CharField(max_length=120, primary_key=True)
    tokens = fields.FloatField()
    updated_at = fields.FloatField()
    # Whether the last request that wrote the row was let through.
    granted = fields.BooleanField(default=True)

    class Meta:
        table = "fair_use_bucket"
        indexes = (("updated_at",),)
