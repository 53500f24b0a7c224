from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from clientela.core.ids import uuid7


class Migration(migrations.Migration):
    """Files on tasks and messages (stored_file), and the bytes still to delete from the store
    (file_deletion)."""

    dependencies = [('models', '0011_automations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FileDeletion',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('storage_key', fields.CharField(unique=True, max_length=128)),
            ],
            options={'table': 'file_deletion', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='StoredFile',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('uploaded_by', fields.ForeignKeyField('models.User', source_field='uploaded_by_id', db_constraint=True, to_field='id', related_name='uploaded_files', on_delete=OnDelete.CASCADE)),
                ('storage_key', fields.CharField(unique=True, max_length=128)),
                ('name', fields.CharField(max_length=255)),
                ('content_type', fields.CharField(max_length=100)),
                ('size', fields.BigIntField()),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'stored_file', 'app': 'models', 'indexes': [Index(fields=['task_id', 'id']), Index(fields=['message_id', 'id']), Index(fields=['workspace_id', 'size'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]
