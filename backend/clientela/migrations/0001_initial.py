import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from clientela.conversations.models import MessageVisibility
from clientela.core.ids import uuid7
from clientela.mail.models import OutboxStatus
from clientela.organizations.models import OrganizationKind
from clientela.people.models import ContactPrivacy
from clientela.sharing.models import ShareRole, ShareStatus
from clientela.tasks.models import TaskPriority, TaskStatus


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ThrottleHit',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('key', fields.CharField(max_length=300)),
            ],
            options={'table': 'throttle_hit', 'app': 'models', 'indexes': [Index(fields=['key', 'created_at'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Workspace',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('name', fields.CharField(max_length=200)),
                ('currency', fields.CharField(default='USD', max_length=3)),
                ('language', fields.CharField(default='en', max_length=16)),
                ('portal_settings', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'workspace', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Organization',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='organizations', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('kind', fields.CharEnumField(description='INTERNAL: INTERNAL\nCLIENT: CLIENT', enum_type=OrganizationKind, max_length=16)),
                ('language', fields.CharField(null=True, max_length=16)),
                ('owner_id', fields.UUIDField(null=True, db_index=True)),
            ],
            options={'table': 'organization', 'app': 'models', 'indexes': [Index(fields=['workspace_id', 'kind'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Department',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='departments', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
            ],
            options={'table': 'department', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='OutboxEmail',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', null=True, db_constraint=True, to_field='id', related_name='outbox', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=40)),
                ('to_address', fields.CharField(max_length=254)),
                ('to_name', fields.CharField(default='', max_length=200)),
                ('subject', fields.CharField(max_length=300)),
                ('text_body', fields.TextField(unique=False)),
                ('html_body', fields.TextField(unique=False)),
                ('language', fields.CharField(default='en', max_length=16)),
                ('status', fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nFAILED: FAILED', enum_type=OutboxStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'outbox_email', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='people', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('phone', fields.CharField(null=True, max_length=64)),
                ('search_text', fields.CharField(default='', max_length=460)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('is_admin', fields.BooleanField(default=False)),
                ('invited', fields.BooleanField(default=False)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('department', fields.ForeignKeyField('models.Department', source_field='department_id', null=True, db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('language', fields.CharField(null=True, max_length=16)),
                ('privacy', fields.CharEnumField(default=ContactPrivacy.VISIBLE_TO_ALL, description='VISIBLE_TO_ALL: VISIBLE_TO_ALL\nHIDDEN_FROM_CLIENTS: HIDDEN_FROM_CLIENTS\nHIDDEN_FROM_ALL: HIDDEN_FROM_ALL', enum_type=ContactPrivacy, max_length=24)),
                ('last_sign_in_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'person', 'app': 'models', 'unique_together': (('workspace', 'email'),), 'indexes': [Index(fields=['organization_id', 'name'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.CASCADE)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=60)),
                ('summary', fields.TextField(unique=False)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'indexes': [Index(fields=['workspace_id', 'id']), Index(fields=['organization_id', 'id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='PasswordToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='password_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'password_token', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Project',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='projects', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('client', fields.ForeignKeyField('models.Organization', source_field='client_id', null=True, db_constraint=True, to_field='id', related_name='client_projects', on_delete=OnDelete.CASCADE)),
                ('budget', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('hourly_rate', fields.DecimalField(null=True, max_digits=14, decimal_places=2)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_projects', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'project', 'app': 'models', 'indexes': [Index(fields=['workspace_id', 'client_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ProjectFollower',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='followings', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='followed_projects', on_delete=OnDelete.CASCADE)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='followed_projects', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'project_follower', 'app': 'models', 'unique_together': (('project', 'user', 'organization'),), 'indexes': [Index(fields=['user_id']), Index(fields=['organization_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='ProjectMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='project_memberships', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'project_member', 'app': 'models', 'unique_together': (('project', 'user'),), 'indexes': [Index(fields=['user_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
            ],
            options={'table': 'session', 'app': 'models', 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Share',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=ShareRole.CONSULTANT, description='CONSULTANT: CONSULTANT\nCSR: CSR', enum_type=ShareRole, max_length=16)),
                ('status', fields.CharEnumField(default=ShareStatus.PENDING, description='PENDING: PENDING\nACCEPTED: ACCEPTED\nREVOKED: REVOKED', enum_type=ShareStatus, max_length=16)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_shares', on_delete=OnDelete.CASCADE)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'share', 'app': 'models', 'indexes': [Index(fields=['user_id', 'status']), Index(fields=['organization_id', 'status'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Task',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.CASCADE)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='tasks', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=TaskStatus.OPEN, description='OPEN: OPEN\nIN_PROGRESS: IN_PROGRESS\nON_HOLD: ON_HOLD\nDONE: DONE', enum_type=TaskStatus, max_length=16)),
                ('priority', fields.CharEnumField(default=TaskPriority.NORMAL, description='LOW: LOW\nNORMAL: NORMAL\nHIGH: HIGH\nURGENT: URGENT', enum_type=TaskPriority, max_length=16)),
                ('due_date', fields.DateField(null=True)),
                ('assignee', fields.ForeignKeyField('models.User', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='assigned_tasks', on_delete=OnDelete.CASCADE)),
                ('estimated_minutes', fields.IntField(null=True)),
                ('labels', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_by', fields.ForeignKeyField('models.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_tasks', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'task', 'app': 'models', 'indexes': [Index(fields=['project_id', 'id']), Index(fields=['project_id', 'status'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('project', fields.ForeignKeyField('models.Project', source_field='project_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('body', fields.TextField(unique=False)),
                ('visibility', fields.CharEnumField(description='INTERNAL: INTERNAL\nPUBLIC: PUBLIC', enum_type=MessageVisibility, max_length=16)),
            ],
            options={'table': 'message', 'app': 'models', 'indexes': [Index(fields=['task_id', 'id']), Index(fields=['project_id', 'id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='MessageRecipient',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='recipient_rows', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='received_messages', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'message_recipient', 'app': 'models', 'unique_together': (('message', 'user'),), 'indexes': [Index(fields=['user_id', 'message_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TaskFollower',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='follower_rows', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='followed_tasks', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'task_follower', 'app': 'models', 'unique_together': (('task', 'user'),), 'indexes': [Index(fields=['user_id', 'task_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TaskLabel',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='label_rows', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=100)),
            ],
            options={'table': 'task_label', 'app': 'models', 'unique_together': (('task', 'label'),), 'indexes': [Index(fields=['label', 'task_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TaskRequester',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='requester_rows', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='requested_tasks', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'task_requester', 'app': 'models', 'unique_together': (('task', 'user'),), 'indexes': [Index(fields=['user_id', 'task_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='TimeEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('task', fields.ForeignKeyField('models.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='time_entries', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='time_entries', on_delete=OnDelete.CASCADE)),
                ('minutes', fields.IntField()),
                ('date', fields.DateField()),
                ('note', fields.TextField(default='', unique=False)),
                ('billable', fields.BooleanField(default=True)),
            ],
            options={'table': 'time_entry', 'app': 'models', 'indexes': [Index(fields=['task_id', 'date']), Index(fields=['date'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
    ]
