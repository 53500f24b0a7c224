from __future__ import annotations

from tortoise import fields

from clientela.core.models import Entity

MIN_SCORE, MAX_SCORE = 1, 5


# A client's rating of a resolved item: one per person and item (rating again replaces it),
# read by the firm's side only.
class ItemRating(Entity):
    task = fields.ForeignKeyField("models.Task", related_name=False)
    user = fields.ForeignKeyField("models.User", related_name=False)
    # The rater's organization when rating, so that a client's average reads one index.
    organization = fields.ForeignKeyField("models.Organization", null=True, related_name=False)
    score = fields.SmallIntField()
    comment = fields.TextField(default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "item_rating"
        unique_together = (("task", "user"),)
        indexes = (("organization_id", "task_id"),)
