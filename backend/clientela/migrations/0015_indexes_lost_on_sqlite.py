from tortoise import migrations
from tortoise.migrations import operations as ops

# The indexes the models declare that SQLite lost when earlier migrations changed a column of
# their table (SQLite rebuilds the table, and Tortoise's schema editor made only some of its
# indexes again), named as Tortoise names them. PostgreSQL alters tables in place and has them.
LOST = (
    'CREATE INDEX IF NOT EXISTS "idx_organizatio_owner_i_32e092" ON "organization" ("owner_id")',
    'CREATE INDEX IF NOT EXISTS "idx_organizatio_workspa_14a4ed" ON "organization" ("workspace_id", "kind")',
    'CREATE INDEX IF NOT EXISTS "idx_share_user_id_979136" ON "share" ("user_id", "status")',
    'CREATE INDEX IF NOT EXISTS "idx_share_organiz_31e3e8" ON "share" ("organization_id", "status")',
    'CREATE INDEX IF NOT EXISTS "idx_outbox_emai_status_97759f" ON "outbox_email" ("status", "next_attempt_at")',
)


class Migration(migrations.Migration):
    """Makes again, where they are missing, the indexes SQLite lost in earlier migrations (the
    outbox's claim among them); a database that has them is left as it is."""

    dependencies = [('models', '0014_due_time_index_leads_with_the_due_time')]

    initial = False

    operations = [
        ops.RunSQL(statement, reverse_sql="")
        for statement in LOST
    ]
