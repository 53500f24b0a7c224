from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from clientela.core.ids import uuid7
from clientela.organizations.models import OrganizationKind

HELD = "WHERE \"status\" IN ('PENDING', 'ACCEPTED')"


class Migration(migrations.Migration):
    """Partner firms: PARTNER organizations, their members, and shares held by a whole firm."""

    dependencies = [('models', '0007_share_expiry_reminders')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PartnerMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid7, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('partner', fields.ForeignKeyField('models.Organization', source_field='partner_id', db_constraint=True, to_field='id', related_name='partner_members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='partner_memberships', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'partner_member', 'app': 'models', 'unique_together': (('partner', 'user'),), 'indexes': [Index(fields=['user_id', 'partner_id'])], 'pk_attr': 'id'},
            bases=['Entity'],
        ),
        ops.AlterField(
            model_name='Organization',
            name='kind',
            field=fields.CharEnumField(description='INTERNAL: INTERNAL\nCLIENT: CLIENT\nPARTNER: PARTNER', enum_type=OrganizationKind, max_length=16),
        ),
        ops.AlterField(
            model_name='Share',
            name='user',
            field=fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='shares', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Share',
            name='partner',
            field=fields.ForeignKeyField('models.Organization', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='partner_shares', on_delete=OnDelete.CASCADE),
        ),
        ops.AddIndex(
            model_name='Share',
            index=Index(fields=['partner_id', 'status']),
        ),
        # SQLite alters a column by rebuilding the table, which drops the partial unique index
        # of 0003 (one held share per person and client): made again where it is gone, and its
        # twin for firms (one held share per firm and client).
        ops.RunSQL(
            f'CREATE UNIQUE INDEX IF NOT EXISTS "uid_share_held_per_person" ON "share" ("organization_id", "user_id") {HELD}',
            reverse_sql="",
        ),
        ops.RunSQL(
            f'CREATE UNIQUE INDEX IF NOT EXISTS "uid_share_held_per_partner" ON "share" ("organization_id", "partner_id") {HELD}',
            reverse_sql='DROP INDEX IF EXISTS "uid_share_held_per_partner"',
        ),
    ]
