"""Migrating keeps the data: a SQLite database with rows in every table that others refer to,
made at an old migration, migrated to the newest keeps all its rows. SQLite changes a column by
copying its table, and dropping the old copy with foreign keys on once deleted, in cascade,
every person, project and task (migration 0008 changes the organization and share tables).
In a process of its own: migrating opens and closes Tortoise's connections."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import asyncio, json, sqlite3, sys, uuid

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

from clientela import db

path = sys.argv[1]
url = f"sqlite://{path}"
DUMMY = {"INT": 0, "BIGINT": 0, "SMALLINT": 0, "BOOL": 0, "REAL": 0, "DECIMAL": 0, "JSON": "{}", "TIMESTAMP": "2026-01-01 00:00:00"}


def insert(conn, table, **values):
    # Every NOT NULL column without a default gets a value of its type: the schema is the old one.
    row = {"id": str(uuid.uuid4()), **values}
    for _, name, type_, notnull, default, _ in conn.execute(f'PRAGMA table_info("{table}")'):
        if name not in row and notnull and default is None:
            row[name] = next((v for k, v in DUMMY.items() if type_.upper().startswith(k)), "x")
    conn.execute(f'INSERT INTO "{table}" ({", ".join(row)}) VALUES ({", ".join("?" for _ in row)})', list(row.values()))
    return row["id"]


def indexes(conn, tables=None):
    tables = tables or [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    found = {}
    for table in tables:
        for _, name, unique, *_ in conn.execute(f'PRAGMA index_list("{table}")'):
            columns = tuple(row[2] for row in conn.execute(f'PRAGMA index_info("{name}")'))
            found[f"{table}{columns}"] = unique
    return found


async def main():
    await run_migrations(config=db.tortoise_config(url + "?foreign_keys=OFF"), target="models.0007_share_expiry_reminders")
    await Tortoise.close_connections()
    conn = sqlite3.connect(path)
    workspace = insert(conn, "workspace", name="Firm", portal_settings="{}")
    client = insert(conn, "organization", workspace_id=workspace, name="Acme", kind="CLIENT")
    person = insert(conn, "person", workspace_id=workspace, organization_id=client, name="Clara", privacy="VISIBLE_TO_ALL")
    guest = insert(conn, "person", workspace_id=workspace, name="Carl", privacy="VISIBLE_TO_ALL")
    project = insert(conn, "project", workspace_id=workspace, client_id=client, name="Site")
    task = insert(conn, "task", workspace_id=workspace, project_id=project, title="Home", status="OPEN", priority="NORMAL", labels="[]")
    insert(conn, "task", workspace_id=workspace, project_id=project, title="Über", status="OPEN", priority="NORMAL", labels="[]",
           id="ffffffff-0000-4000-8000-000000000000")
    insert(conn, "task_requester", task_id=task, user_id=person, organization_id=client)
    share = insert(conn, "share", organization_id=client, user_id=guest, role="CSR", status="ACCEPTED")
    insert(conn, "share_expiry_reminder", share_id=share, expires_at="2027-01-01 00:00:00")
    conn.commit()
    await db.migrate(url)
    tables = ("organization", "person", "project", "task", "task_requester", "share", "share_expiry_reminder")
    counts = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    counts["refs"] = conn.execute('SELECT "ref", "search_title" FROM "task" ORDER BY "id"').fetchall()
    counts["counters"] = conn.execute('SELECT "prefix", "last_number" FROM "item_ref_counter"').fetchall()
    # SQLite changes a column by rebuilding its table, without the table's indexes: every table
    # keeps every index the models declare.
    declared = path + ".declared"
    await Tortoise.init(config=db.tortoise_config(f"sqlite://{declared}"))
    await Tortoise.generate_schemas()
    await Tortoise.close_connections()
    missing = set(indexes(sqlite3.connect(declared)).items()) - set(indexes(conn).items())
    counts["indexes_missing"] = sorted(name for name, _ in missing)
    print(json.dumps(counts))


asyncio.run(main())
"""


def test_migrating_an_old_sqlite_database_keeps_every_row(tmp_path):
    import clientela

    env = {**os.environ, "PYTHONPATH": str(Path(clientela.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "old.sqlite3")], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    # Migration 0011 adds the workspace's automation identity: one more person; 0013 numbers the
    # items in the order of their ids, with their project's prefix, and leaves the counter there.
    assert counts == {
        "organization": 1,
        "person": 3,
        "project": 1,
        "task": 2,
        "task_requester": 1,
        "share": 1,
        "share_expiry_reminder": 1,
        "refs": [["SITE-1", "home"], ["SITE-2", "uber"]],
        "counters": [["SITE", 2]],
        "indexes_missing": [],
    }
