from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Audit entries written at most once (previews as a client: once per previewer, person and
    hour) carry a unique key, so that concurrent writers leave one entry."""

    dependencies = [('models', '0005_fair_use_budget')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AuditEntry',
            name='once_key',
            field=fields.CharField(null=True, unique=True, max_length=200),
        ),
    ]
