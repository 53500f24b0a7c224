from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from clientela.core.models import Entity


class TriggerKind(StrEnum):
    ITEM_CREATED = "ITEM_CREATED"
    # A client files an item through the portal (it is an ITEM_CREATED too).
    ITEM_SUBMITTED = "ITEM_SUBMITTED"
    CLIENT_REPLIED = "CLIENT_REPLIED"
    STATUS_CHANGED = "STATUS_CHANGED"
    PRIORITY_CHANGED = "PRIORITY_CHANGED"
    # Time-based: the worker's scan finds these (trigger hours = how long before or after).
    DUE_DATE_NEAR = "DUE_DATE_NEAR"
    NO_PUBLIC_REPLY = "NO_PUBLIC_REPLY"
    # Told by the response-time targets (automations.services.on_event).
    TARGET_AT_RISK = "TARGET_AT_RISK"
    TARGET_BREACHED = "TARGET_BREACHED"


# The triggers an event of each kind fires: a submission is a creation too.
FIRES = {kind: frozenset({kind}) for kind in TriggerKind} | {
    TriggerKind.ITEM_SUBMITTED: frozenset({TriggerKind.ITEM_SUBMITTED, TriggerKind.ITEM_CREATED}),
}
TIME_BASED = frozenset({TriggerKind.DUE_DATE_NEAR, TriggerKind.NO_PUBLIC_REPLY})


class ActionKind(StrEnum):
    POST_PUBLIC_REPLY = "POST_PUBLIC_REPLY"
    POST_INTERNAL_NOTE = "POST_INTERNAL_NOTE"
    SET_STATUS = "SET_STATUS"
    SET_PRIORITY = "SET_PRIORITY"
    ADD_LABELS = "ADD_LABELS"
    ASSIGN = "ASSIGN"
    ADD_FOLLOWERS = "ADD_FOLLOWERS"
    EMAIL_STAFF = "EMAIL_STAFF"


class RunOutcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    # The trigger fired but the rule's conditions did not hold for the item.
    SKIPPED = "SKIPPED"


# A rule of a workspace: one trigger, conditions and an ordered list of actions (JSON documents,
# automations.rules reads and checks them). Limited to the projects of its AutomationRuleProject
# rows, or the whole workspace when it has none.
class AutomationRule(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name="automation_rules")
    name = fields.CharField(max_length=200)
    enabled = fields.BooleanField(default=True)
    trigger = fields.CharEnumField(TriggerKind, max_length=32)
    # DUE_DATE_NEAR: hours before the due date; NO_PUBLIC_REPLY: working hours without a reply.
    trigger_hours = fields.IntField(null=True)
    conditions: dict = fields.JSONField(default=dict)
    actions: list = fields.JSONField(default=list)
    created_by = fields.ForeignKeyField("models.User", related_name=False, null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "automation_rule"
        indexes = (("workspace_id", "trigger", "enabled"),)


class AutomationRuleProject(Entity):
    rule = fields.ForeignKeyField("models.AutomationRule", related_name="project_rows")
    project = fields.ForeignKeyField("models.Project", related_name=False)

    class Meta:
        table = "automation_rule_project"
        unique_together = (("rule", "project"),)
        indexes = (("project_id", "rule_id"),)


# Something that happened to an item and may fire rules, written in the same transaction as the
# change (an outbox of events); the worker evaluates it and marks it processed.
class AutomationEvent(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False)
    kind = fields.CharEnumField(TriggerKind, max_length=32)
    task = fields.ForeignKeyField("models.Task", related_name=False)
    actor = fields.ForeignKeyField("models.User", related_name=False, null=True)
    actor_is_client = fields.BooleanField(default=False)
    # What makes this occurrence one (a target's kind and due time): two events with the same
    # key run a rule once.
    occurrence = fields.CharField(max_length=200, null=True)
    extra: dict = fields.JSONField(default=dict)
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "automation_event"
        indexes = (("processed_at", "id"),)


# One evaluation of a rule on an item for one triggering event, written in the same transaction
# as the actions' effects: the unique (rule, event key) makes it happen at most once, whichever
# worker gets there first. Kept when its rule is deleted (rule null, its name kept), so that
# "why did the client get this email?" still has an answer.
class AutomationRun(Entity):
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False)
    rule = fields.ForeignKeyField("models.AutomationRule", related_name="runs", null=True, on_delete=fields.SET_NULL)
    rule_name = fields.CharField(max_length=200)
    task = fields.ForeignKeyField("models.Task", related_name=False)
    trigger = fields.CharEnumField(TriggerKind, max_length=32)
    event_key = fields.CharField(max_length=255)
    outcome = fields.CharEnumField(RunOutcome, max_length=16)
    error = fields.TextField(default="")

    class Meta:
        table = "automation_run"
        unique_together = (("rule", "event_key"),)
        indexes = (("workspace_id", "id"), ("task_id", "id"))
