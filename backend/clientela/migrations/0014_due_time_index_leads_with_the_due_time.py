from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0013_portal_find_and_follow_up')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Task',
            name=None,
            fields=['workspace_id', 'target_due_at', 'id'],
        ),
        ops.AddIndex(
            model_name='Task',
            index=Index(fields=['target_due_at', 'id', 'workspace_id']),
        ),
    ]
