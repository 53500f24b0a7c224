from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='TaskRequester',
            name='organization',
            field=fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        # Existing requests take their requester's organization.
        ops.RunSQL(
            'UPDATE "task_requester" SET "organization_id" = '
            '(SELECT "organization_id" FROM "person" WHERE "person"."id" = "task_requester"."user_id")',
            reverse_sql="",
        ),
        ops.AddIndex(
            model_name='TaskRequester',
            index=Index(fields=['organization_id', 'task_id']),
        ),
        ops.RemoveIndex(
            model_name='TimeEntry',
            name=None,
            fields=['task_id', 'date'],
        ),
        ops.AddIndex(
            model_name='TimeEntry',
            index=Index(fields=['task_id', 'date', 'billable', 'minutes']),
        ),
        ops.AddField(
            model_name='Workspace',
            name='visibility_generation',
            field=fields.BigIntField(default=0),
        ),
    ]
