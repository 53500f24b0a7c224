from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields

from clientela.core.models import Entity
from clientela.core.validation import fold

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
    NEWEST_FIRST = "NEWEST_FIRST"
    # The last change of the item or of its public conversation first (updated_at).
    RECENTLY_UPDATED = "RECENTLY_UPDATED"
    # The soonest due date first, the items without one last.
    DUE_DATE = "DUE_DATE"
    # The items with a running response-time target, the soonest due first.
    NEXT_DUE = "NEXT_DUE"


class ItemOwnership(StrEnum):
    # The viewer requested it, is its follower or follows it (notifications).
    MINE = "MINE"
    # Someone of the viewer's organization requested it (as they were when they did).
    MY_ORGANIZATION = "MY_ORGANIZATION"


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
    # Its human reference (ACME-42), unique in the workspace: given in the transaction that
    # creates it (tasks.repository), from the counter of its prefix (ItemRefCounter).
    ref = fields.CharField(max_length=32, null=True)
    # The last change of the item or of its public conversation (tasks.repository and
    # conversations.repository move it; internal notes, time and estimates do not).
    updated_at = fields.DatetimeField(auto_now_add=True)
    # The title and description folded (core.validation.fold), which the portal's search reads.
    search_title = fields.CharField(max_length=200, default="", db_default="")
    search_description = fields.TextField(default="", db_default="")

    class Meta:
        table = "task"
        unique_together = (("workspace", "ref"),)
        # The due-time index leads with the due time, not the workspace: SQLite, without
        # statistics, prefers an index whose first column a query compares for equality to the
        # id's, so with (workspace_id, …) every page of a workspace's tasks (the portal's, an
        # admin's list) read and sorted all of the workspace's tasks (20 ms at 100,000).
        indexes = (("project_id", "id"), ("project_id", "status"), ("target_due_at", "id", "workspace_id"))

    async def save(self, *args, **kwargs) -> None:
        self.update_from_dict(searchable({"title": self.title, "description": self.description}))
        await super().save(*args, **kwargs)


def searchable(columns: dict) -> dict:
    """The search columns that follow from the title and description among `columns`."""
    folded = {}
    if "title" in columns:
        folded["search_title"] = fold(columns["title"])
    if "description" in columns:
        folded["search_description"] = fold(columns["description"] or "")
    return folded


# The last number given to an item reference with this prefix in the workspace: one upsert in
# the transaction that creates the item hands out the next (tasks.repository), so that two items
# made at once never get the same reference.
class ItemRefCounter(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False)
    prefix = fields.CharField(max_length=16)
    last_number = fields.IntField(default=0)

    class Meta:
        table = "item_ref_counter"
        unique_together = (("workspace", "prefix"),)


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
