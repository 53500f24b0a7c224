import functools
from datetime import UTC, datetime
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from clientela.automations.models import RunOutcome, TriggerKind
from clientela.automations.rules import acknowledgement, identity_name
from clientela.core.ids import uuid7


async def add_default_rules(apps, schema_editor) -> None:
    """Workspaces made before automations get what sign-up gives a new one: the automation
    identity and the enabled rule "Acknowledge submitted items" (accounts/repository.py)."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    def sql(text: str) -> str:
        if not postgres:
            return text
        for n in range(1, text.count("?") + 1):
            text = text.replace("?", f"${n}", 1)
        return text

    name, trigger, actions = acknowledgement()
    now = datetime.now(UTC)
    _, workspaces = await client.execute_query('SELECT "id", "name" FROM "workspace"')
    for workspace in workspaces:
        workspace_id, workspace_name = workspace["id"], workspace["name"]
        await client.execute_query(
            sql(
                'INSERT INTO "automation_rule" ("id", "created_at", "updated_at", "workspace_id", "name", "enabled", '
                '"trigger", "conditions", "actions") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
            ),
            [str(uuid7()), now, now, workspace_id, name, True, trigger.value, "{}", dumps([a.to_document() for a in actions])],
        )
        await client.execute_query(
            sql(
                'INSERT INTO "person" ("id", "created_at", "workspace_id", "name", "search_text", "is_admin", "invited", '
                '"privacy", "is_automation") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
            ),
            [str(uuid7()), now, workspace_id, identity_name(workspace_name), "", False, False, "HIDDEN_FROM_ALL", True],
        )


class Migration(migrations.Migration):
    """Automation rules (with the projects they are limited to), the events that fire them and
    their runs; a message says whether an automation wrote it, a person whether they are the
    workspace's automation identity."""

    dependencies = [("models", "0010_response_targets")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AutomationEvent",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="ITEM_CREATED: ITEM_CREATED\nITEM_SUBMITTED: ITEM_SUBMITTED\nCLIENT_REPLIED: CLIENT_REPLIED\nSTATUS_CHANGED: STATUS_CHANGED\nPRIORITY_CHANGED: PRIORITY_CHANGED\nDUE_DATE_NEAR: DUE_DATE_NEAR\nNO_PUBLIC_REPLY: NO_PUBLIC_REPLY\nTARGET_AT_RISK: TARGET_AT_RISK\nTARGET_BREACHED: TARGET_BREACHED",
                        enum_type=TriggerKind,
                        max_length=32,
                    ),
                ),
                (
                    "task",
                    fields.ForeignKeyField(
                        "models.Task",
                        source_field="task_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("actor_is_client", fields.BooleanField(default=False)),
                ("occurrence", fields.CharField(null=True, max_length=200)),
                ("extra", fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads)),
                ("processed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "automation_event",
                "app": "models",
                "indexes": [Index(fields=["processed_at", "id"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="AutomationRule",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="automation_rules",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=200)),
                ("enabled", fields.BooleanField(default=True)),
                (
                    "trigger",
                    fields.CharEnumField(
                        description="ITEM_CREATED: ITEM_CREATED\nITEM_SUBMITTED: ITEM_SUBMITTED\nCLIENT_REPLIED: CLIENT_REPLIED\nSTATUS_CHANGED: STATUS_CHANGED\nPRIORITY_CHANGED: PRIORITY_CHANGED\nDUE_DATE_NEAR: DUE_DATE_NEAR\nNO_PUBLIC_REPLY: NO_PUBLIC_REPLY\nTARGET_AT_RISK: TARGET_AT_RISK\nTARGET_BREACHED: TARGET_BREACHED",
                        enum_type=TriggerKind,
                        max_length=32,
                    ),
                ),
                ("trigger_hours", fields.IntField(null=True)),
                (
                    "conditions",
                    fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                (
                    "actions",
                    fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "automation_rule",
                "app": "models",
                "indexes": [Index(fields=["workspace_id", "trigger", "enabled"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="AutomationRuleProject",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "rule",
                    fields.ForeignKeyField(
                        "models.AutomationRule",
                        source_field="rule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="project_rows",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "automation_rule_project",
                "app": "models",
                "unique_together": (("rule", "project"),),
                "indexes": [Index(fields=["project_id", "rule_id"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="AutomationRun",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "rule",
                    fields.ForeignKeyField(
                        "models.AutomationRule",
                        source_field="rule_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="runs",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("rule_name", fields.CharField(max_length=200)),
                (
                    "task",
                    fields.ForeignKeyField(
                        "models.Task",
                        source_field="task_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "trigger",
                    fields.CharEnumField(
                        description="ITEM_CREATED: ITEM_CREATED\nITEM_SUBMITTED: ITEM_SUBMITTED\nCLIENT_REPLIED: CLIENT_REPLIED\nSTATUS_CHANGED: STATUS_CHANGED\nPRIORITY_CHANGED: PRIORITY_CHANGED\nDUE_DATE_NEAR: DUE_DATE_NEAR\nNO_PUBLIC_REPLY: NO_PUBLIC_REPLY\nTARGET_AT_RISK: TARGET_AT_RISK\nTARGET_BREACHED: TARGET_BREACHED",
                        enum_type=TriggerKind,
                        max_length=32,
                    ),
                ),
                ("event_key", fields.CharField(max_length=255)),
                (
                    "outcome",
                    fields.CharEnumField(
                        description="SUCCEEDED: SUCCEEDED\nFAILED: FAILED\nSKIPPED: SKIPPED", enum_type=RunOutcome, max_length=16
                    ),
                ),
                ("error", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "automation_run",
                "app": "models",
                "unique_together": (("rule", "event_key"),),
                "indexes": [Index(fields=["workspace_id", "id"]), Index(fields=["task_id", "id"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.AddField(
            model_name="Message",
            name="automated",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="User",
            name="is_automation",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.RunPython(add_default_rules),
    ]
