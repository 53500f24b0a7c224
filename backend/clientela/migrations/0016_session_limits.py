from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Sessions end: after a while without a refresh and at a fixed end, both longer for "keep me
    signed in". Sessions from before have neither and end here: their people sign in again."""

    dependencies = [('models', '0015_indexes_lost_on_sqlite')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Session',
            name='expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Session',
            name='idle_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Session',
            name='kept',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
