from tortoise import migrations
from tortoise.migrations import operations as ops

HELD = "\"status\" IN ('PENDING', 'ACCEPTED')"


class Migration(migrations.Migration):
    """One held share per person and client: a person's access to a client is then one role,
    which the owner sets and revokes, and two concurrent shares of the same client cannot
    leave a second grant behind."""

    dependencies = [('models', '0002_indexes_for_portal_and_time_totals')]

    initial = False

    operations = [
        # Should duplicates exist, the newest share is the one that stays.
        ops.RunSQL(
            f'UPDATE "share" SET "status" = \'REVOKED\' WHERE {HELD} AND EXISTS ('
            'SELECT 1 FROM "share" AS "newer" WHERE "newer"."organization_id" = "share"."organization_id" '
            'AND "newer"."user_id" = "share"."user_id" AND "newer"."id" > "share"."id" '
            "AND \"newer\".\"status\" IN ('PENDING', 'ACCEPTED'))",
            reverse_sql="",
        ),
        ops.RunSQL(
            f'CREATE UNIQUE INDEX "uid_share_held_per_person" ON "share" ("organization_id", "user_id") WHERE {HELD}',
            reverse_sql='DROP INDEX "uid_share_held_per_person"',
        ),
    ]
