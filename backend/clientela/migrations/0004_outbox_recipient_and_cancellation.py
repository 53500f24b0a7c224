from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from clientela.mail.models import OutboxStatus


class Migration(migrations.Migration):
    dependencies = [('models', '0003_one_held_share_per_person')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='OutboxEmail',
            name='status',
            field=fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=OutboxStatus, max_length=16),
        ),
        ops.AddField(
            model_name='OutboxEmail',
            name='about_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='OutboxEmail',
            name='cancel_reason',
            field=fields.CharField(default='', max_length=200),
        ),
        ops.AddField(
            model_name='OutboxEmail',
            name='recipient',
            field=fields.ForeignKeyField('models.User', source_field='recipient_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE),
        ),
        ops.AddIndex(
            model_name='OutboxEmail',
            index=Index(fields=['status', 'created_at']),
        ),
    ]
