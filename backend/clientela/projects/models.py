from __future__ import annotations

from tortoise import fields

from clientela.core.models import Entity

MONEY = {"max_digits": 14, "decimal_places": 2}


class Project(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name="projects")
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    client = fields.ForeignKeyField("models.Organization", related_name="client_projects", null=True)
    budget = fields.DecimalField(null=True, **MONEY)
    hourly_rate = fields.DecimalField(null=True, **MONEY)
    created_by = fields.ForeignKeyField("models.User", related_name="created_projects", null=True)

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
