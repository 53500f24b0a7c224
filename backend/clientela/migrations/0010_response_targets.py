import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from clientela.core.ids import uuid7
from clientela.targets.models import TargetKind, TargetState


class Migration(migrations.Migration):
    """Response-time targets: the workspace's calendar and targets, each item's clocks, the
    transitions announced to the automation rules, and the soonest due time on the task."""

    dependencies = [('models', '0009_replies_by_email')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TargetClock',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='target_clocks', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='FIRST_RESPONSE: FIRST_RESPONSE\nRESOLUTION: RESOLUTION', enum_type=TargetKind, max_length=16)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('paused_seconds', fields.IntField(default=0)),
                ('paused_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('met_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('at_risk_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('settled', fields.CharEnumField(null=True, description='RUNNING: RUNNING\nPAUSED: PAUSED\nMET: MET\nAT_RISK: AT_RISK\nBREACHED: BREACHED', enum_type=TargetState, max_length=16)),
                ('announced', fields.CharEnumField(null=True, description='RUNNING: RUNNING\nPAUSED: PAUSED\nMET: MET\nAT_RISK: AT_RISK\nBREACHED: BREACHED', enum_type=TargetState, max_length=16)),
            ],
            options={'table': 'target_clock', 'app': 'models', 'unique_together': (('task', 'kind'),), 'indexes': [Index(fields=['settled', 'due_at']), Index(fields=['settled', 'at_risk_at']), Index(fields=['workspace_id', 'task_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TargetSettings',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.OneToOneField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='target_settings', on_delete=OnDelete.CASCADE)),
                ('time_zone', fields.CharField(default='UTC', max_length=64)),
                ('working_hours', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('holidays', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('targets', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('at_risk_percent', fields.IntField(default=20)),
            ],
            options={'table': 'target_settings', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TargetTransition',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='FIRST_RESPONSE: FIRST_RESPONSE\nRESOLUTION: RESOLUTION', enum_type=TargetKind, max_length=16)),
                ('state', fields.CharEnumField(description='RUNNING: RUNNING\nPAUSED: PAUSED\nMET: MET\nAT_RISK: AT_RISK\nBREACHED: BREACHED', enum_type=TargetState, max_length=16)),
            ],
            options={'table': 'target_transition', 'app': 'models', 'unique_together': (('task', 'kind', 'state'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.AddField(
            model_name='Task',
            name='target_due_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['workspace_id', 'target_due_at', 'id']),
        ),
    ]
