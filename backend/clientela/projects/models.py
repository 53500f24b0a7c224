from __future__ import annotations

import re

from tortoise import fields

from clientela.core.models import Entity
from clientela.core.validation import fold

MONEY = {"max_digits": 14, "decimal_places": 2}
KEY_FROM_NAME_LENGTH = 6


def key_from_name(name: str) -> str:
    """The prefix of a project's item references when the firm chose none: the first word of
    its name with a Latin letter, upper-cased, up to six letters and digits (Acme website:
    ACME); ITEM when no word has one."""
    for word in fold(name).split():
        letters = re.sub(r"[^a-z0-9]", "", word).lstrip("0123456789")
        if letters:
            return letters[:KEY_FROM_NAME_LENGTH].upper()
    return "ITEM"


class Project(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name="projects")
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    client = fields.ForeignKeyField("models.Organization", related_name="client_projects", null=True)
    budget = fields.DecimalField(null=True, **MONEY)
    hourly_rate = fields.DecimalField(null=True, **MONEY)
    created_by = fields.ForeignKeyField("models.User", related_name="created_projects", null=True)
    # The prefix of its items' references (ACME in ACME-42), when the firm chose one; otherwise
    # derived from its name (`ref_prefix`).
    key = fields.CharField(max_length=10, null=True)

    @property
    def ref_prefix(self) -> str:
        return self.key or key_from_name(self.name)

    class Meta:
        table = "project"
        indexes = (("workspace_id", "client_id"),)


class ProjectMember(Entity):
    project = fields.ForeignKeyField("models.Project", related_name="memberships")
    user = fields.ForeignKeyField("models.User", related_name="project_memberships")

    class Meta:
        table = "project_member"
        unique_together = (("project", "user"),)
        indexes = (("user_id",),)


# A client person, or a whole client organization, the project is shared with.
class ProjectFollower(Entity):

    project = fields.ForeignKeyField("models.Project", related_name="followings")
    user = fields.ForeignKeyField("models.User", related_name="followed_projects", null=True)
    organization = fields.ForeignKeyField("models.Organization", related_name="followed_projects", null=True)

    class Meta:
        table = "project_follower"
        unique_together = (("project", "user", "organization"),)
        indexes = (("user_id",), ("organization_id",))
