from collections import defaultdict
from datetime import UTC, datetime

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

from clientela.conversations.models import ItemNotifications
from clientela.core.ids import uuid7
from clientela.core.validation import fold
from clientela.projects.models import key_from_name

BATCH = 5000


async def backfill_items(apps, schema_editor) -> None:
    """Items made before this migration get what a new one gets: a reference (their project's
    prefix, numbered in the order they were made, per workspace and prefix, with the counters
    left at the last number), their search columns and, as their last change, their creation."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    def sql(text: str) -> str:
        if not postgres:
            return text
        for n in range(1, text.count("?") + 1):
            text = text.replace("?", f"${n}", 1)
        return text

    await client.execute_script('UPDATE "task" SET "updated_at" = "created_at"')
    last: dict[tuple, int] = defaultdict(int)
    after = None
    while True:
        where = 'WHERE "task"."id" > ? ' if after is not None else ""
        _, rows = await client.execute_query(
            sql(
                'SELECT "task"."id", "task"."workspace_id", "task"."title", "task"."description", "project"."name", '
                '"project"."key" FROM "task" JOIN "project" ON "project"."id" = "task"."project_id" '
                f'{where}ORDER BY "task"."id" LIMIT {BATCH}'
            ),
            [after] if after is not None else [],
        )
        if not rows:
            break
        updates = []
        for task_id, workspace_id, title, description, project_name, key in (tuple(row) for row in rows):
            prefix = key or key_from_name(project_name)
            last[(workspace_id, prefix)] += 1
            updates.append([f"{prefix}-{last[(workspace_id, prefix)]}", fold(title), fold(description or ""), task_id])
        await client.execute_many(
            sql('UPDATE "task" SET "ref" = ?, "search_title" = ?, "search_description" = ? WHERE "id" = ?'), updates
        )
        after = rows[-1][0]
    now = datetime.now(UTC)
    counters = [[str(uuid7()), now, workspace_id, prefix, number] for (workspace_id, prefix), number in last.items()]
    if counters:
        await client.execute_many(
            sql(
                'INSERT INTO "item_ref_counter" ("id", "created_at", "workspace_id", "prefix", "last_number") '
                "VALUES (?, ?, ?, ?, ?)"
            ),
            counters,
        )


class AddColumnToFilledTable(ops.AddField):
    """AddField of the NOT NULL timestamp `updated_at`, to a table that has rows: with a
    constant default for them (SQLite adds no NOT NULL column without a default, nor one whose
    default is the time of day; making it NOT NULL afterwards would rebuild the table without
    its indexes). backfill_items then gives each row its own; PostgreSQL drops the default."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None) -> None:
        if not state_editor:
            return
        client = state_editor.client
        postgres = client.capabilities.dialect == "postgres"
        column_type = "TIMESTAMPTZ" if postgres else "TIMESTAMP"
        await client.execute_script(
            f'ALTER TABLE "task" ADD COLUMN "{self.name}" {column_type} NOT NULL DEFAULT \'1970-01-01 00:00:00+00:00\''
        )
        if postgres:
            await client.execute_script(f'ALTER TABLE "task" ALTER COLUMN "{self.name}" DROP DEFAULT')


class Migration(migrations.Migration):
    """The portal's finding and following up (issue 18): items' references (with the counters
    that hand them out, and the projects' chosen prefixes), their last change and search
    columns; read markers, item notifications (follow, mute) and clients' ratings."""

    dependencies = [("models", "0012_files")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ItemRating",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
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
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "organization",
                    fields.ForeignKeyField(
                        "models.Organization",
                        source_field="organization_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("score", fields.SmallIntField()),
                ("comment", fields.TextField(default="", unique=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "item_rating",
                "app": "models",
                "unique_together": (("task", "user"),),
                "indexes": [Index(fields=["organization_id", "task_id"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="ItemRefCounter",
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
                ("prefix", fields.CharField(max_length=16)),
                ("last_number", fields.IntField(default=0)),
            ],
            options={
                "table": "item_ref_counter",
                "app": "models",
                "unique_together": (("workspace", "prefix"),),
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="ItemSubscription",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
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
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "notifications",
                    fields.CharEnumField(
                        description="DEFAULT: DEFAULT\nFOLLOWING: FOLLOWING\nMUTED: MUTED",
                        enum_type=ItemNotifications,
                        max_length=16,
                    ),
                ),
            ],
            options={
                "table": "item_subscription",
                "app": "models",
                "unique_together": (("task", "user"),),
                "indexes": [Index(fields=["user_id", "notifications", "task_id"])],
                "pk_attr": "id",
            },
            bases=["Entity"],
        ),
        ops.CreateModel(
            name="ReadMarker",
            fields=[
                ("id", fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
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
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("read_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "read_marker", "app": "models", "unique_together": (("user", "task"),), "pk_attr": "id"},
            bases=["Entity"],
        ),
        ops.AddField(
            model_name="Project",
            name="key",
            field=fields.CharField(null=True, max_length=10),
        ),
        ops.AddField(
            model_name="Task",
            name="ref",
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name="Task",
            name="search_description",
            field=fields.TextField(default="", db_default="", unique=False),
        ),
        ops.AddField(
            model_name="Task",
            name="search_title",
            field=fields.CharField(default="", db_default="", max_length=200),
        ),
        AddColumnToFilledTable(
            model_name="Task",
            name="updated_at",
            field=fields.DatetimeField(auto_now=False, auto_now_add=True),
        ),
        ops.AddConstraint(
            model_name="Task",
            constraint=UniqueConstraint(fields=("workspace", "ref"), name=None),
        ),
        ops.RunPython(backfill_items),
    ]
