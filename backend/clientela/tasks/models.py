from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from clientela.core.models import Entity

if TYPE_CHECKING:
    from clientela.people.models import User


class TaskStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    ON_HOLD = "ON_HOLD"
    DONE = "DONE"


class TaskPriority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class TaskOrder(StrEnum):
    OLDEST_FIRST = "OLDEST_FIRST"
    # The items with a running response-time target, the soonest due first.
    NEXT_DUE = "NEXT_DUE"


class Task(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name="tasks")
    project = fields.ForeignKeyField("models.Project", related_name="tasks")
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.OPEN)
    priority = fields.CharEnumField(TaskPriority, max_length=16, default=TaskPriority.NORMAL)
    due_date = fields.DateField(null=True)
    assignee = fields.ForeignKeyField("models.User", related_name="assigned_tasks", null=True)
    estimated_minutes = fields.IntField(null=True)
    # Kept on the row for reading; TaskLabel rows serve the label filter.
    labels: list = fields.JSONField(default=list)
    created_by = fields.ForeignKeyField("models.User", related_name="created_tasks", null=True)
    # The soonest due time of its running response-time targets (targets.repository keeps it
    # in the transactions that move them), so that a list sorts by it from an index.
    target_due_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task"
        # The due-time index leads with the due time, not the workspace: SQLite, without
        # statistics, prefers an index whose first column a query compares for equality to the
        # id's, so with (workspace_id, …) every page of a workspace's tasks (the portal's, an
        # admin's list) read and sorted all of the workspace's tasks (20 ms at 100,000).
        indexes = (("project_id", "id"), ("project_id", "status"), ("target_due_at", "id", "workspace_id"))


class TaskLabel(Entity):
    task = fields.ForeignKeyField("models.Task", related_name="label_rows")
    label = fields.CharField(max_length=100)

    class Meta:
        table = "task_label"
        unique_together = (("task", "label"),)
        indexes = (("label", "task_id"),)


class TaskRequester(Entity):
    task = fields.ForeignKeyField("models.Task", related_name="requester_rows")
    user = fields.ForeignKeyField("models.User", related_name="requested_tasks")
    # The requester's organization when the request was made, kept here so that an
    # organization's requests are read in task order from one index (the portal's "organization
    # requests" scope). A person who later joins an organization brings no earlier requests in.
    organization = fields.ForeignKeyField("models.Organization", null=True, related_name=False)

    class Meta:
        table = "task_requester"
        unique_together = (("task", "user"),)
        indexes = (("user_id", "task_id"), ("organization_id", "task_id"))

    @classmethod
    def of(cls, task_id: uuid.UUID, person: User) -> TaskRequester:
        return cls(task_id=task_id, user_id=person.id, organization_id=person.organization_id)


class TaskFollower(Entity):
    task = fields.ForeignKeyField("models.Task", related_name="follower_rows")
    user = fields.ForeignKeyField("models.User", related_name="followed_tasks")

    class Meta:
        table = "task_follower"
        unique_together = (("task", "user"),)
        indexes = (("user_id", "task_id"),)

    @classmethod
    def of(cls, task_id: uuid.UUID, person: User) -> TaskFollower:
        return cls(task_id=task_id, user_id=person.id)


class TimeEntry(Entity):
    task = fields.ForeignKeyField("models.Task", related_name="time_entries")
    user = fields.ForeignKeyField("models.User", related_name="time_entries")
    minutes = fields.IntField()
    date = fields.DateField()
    note = fields.TextField(default="")
    billable = fields.BooleanField(default=True)

    class Meta:
        table = "time_entry"
        # Covering: time totals by task read the index alone.
        indexes = (("task_id", "date", "billable", "minutes"), ("date",))
