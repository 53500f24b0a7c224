from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from clientela.core.ids import uuid7
from clientela.sharing.models import ShareStatus


class Migration(migrations.Migration):
    """Expiry reminders, one per share and date; EXPIRED joins ShareStatus (shown, never
    stored)."""

    dependencies = [('models', '0006_audit_entry_once_key')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ShareExpiryReminder',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('share', fields.ForeignKeyField('models.Share', source_field='share_id', db_constraint=True, to_field='id', related_name='expiry_reminders', on_delete=OnDelete.CASCADE)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'share_expiry_reminder', 'app': 'models', 'unique_together': (('share', 'expires_at'),), 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.AlterField(
            model_name='Share',
            name='status',
            field=fields.CharEnumField(default=ShareStatus.PENDING, description='PENDING: PENDING\nACCEPTED: ACCEPTED\nREVOKED: REVOKED\nEXPIRED: EXPIRED', enum_type=ShareStatus, max_length=16),
        ),
        # SQLite alters a column by rebuilding the table, which drops the partial unique index
        # of 0003 (one held share per person and client): made again where it is gone.
        ops.RunSQL(
            'CREATE UNIQUE INDEX IF NOT EXISTS "uid_share_held_per_person" ON "share" ("organization_id", "user_id") '
            "WHERE \"status\" IN ('PENDING', 'ACCEPTED')",
            reverse_sql="",
        ),
    ]
