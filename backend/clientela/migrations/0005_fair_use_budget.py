from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """The fair-use budgets: one token bucket per session (or client address) and kind of request,
    shared by every server process (clientela.fair_use)."""

    dependencies = [('models', '0004_outbox_recipient_and_cancellation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FairUseBucket',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=120)),
                ('tokens', fields.FloatField()),
                ('updated_at', fields.FloatField()),
                ('granted', fields.BooleanField(default=True)),
            ],
            options={'table': 'fair_use_bucket', 'app': 'models', 'indexes': [Index(fields=['updated_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
