from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from clientela.core.ids import uuid7


class Migration(migrations.Migration):
    """Replies by email: each person's reply tokens per conversation, and the emails received
    and posted (one per reply address and Message-ID)."""

    dependencies = [('models', '0008_partner_firms')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ReplyToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='reply_tokens', on_delete=OnDelete.CASCADE)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='reply_tokens', on_delete=OnDelete.CASCADE)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', null=True, db_constraint=True, to_field='id', related_name='reply_tokens', on_delete=OnDelete.CASCADE)),
                ('conversation_id', fields.UUIDField()),
                ('key', fields.CharField(unique=True, max_length=32)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reply_token', 'app': 'models', 'unique_together': (('user', 'conversation_id'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ReceivedEmail',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('token', fields.ForeignKeyField('models.ReplyToken', source_field='token_id', db_constraint=True, to_field='id', related_name='received', on_delete=OnDelete.CASCADE)),
                ('message_id_hash', fields.CharField(max_length=64)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='received_as', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'received_email', 'app': 'models', 'unique_together': (('token', 'message_id_hash'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]
