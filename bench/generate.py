"""Build the benchmark dataset: one workspace of a consulting firm with 100 projects, 50 client
organizations of 20 people each (1,000 client people), 30 staff, and --tasks tasks (100,000 by
default, 1,000,000 on request) with requesters, followers, labels, time entries and public and
internal messages. Deterministic for a given --seed: the same ids, rows and bearer tokens.

    .venv/bin/python -m bench.generate [--tasks 100000] [--url sqlite://bench/results/bench-100000.sqlite3]

Migrations are applied first (`clientela.db.migrate`); rows go in with one `executemany` per
batch through Tortoise's connection (SQLite or PostgreSQL), in the columns and with the
conversions of the Tortoise models, so that a column added to a model is written with its
default (tests/test_bench_dataset.py generates a small dataset on the suite's database). Ids
are UUIDv7 laid out exactly as `clientela.core.ids.uuid7` makes them, but with the time part spread over one year of history
and the random part drawn from the seeded generator, so that a re-run gives the same ids.

The viewers the benchmark signs in as, with their bearer tokens and the ids it requests, are
written to `<database>.viewers.json` (and printed). Tokens are hashed with CLIENTELA_SECRET_KEY,
which must be the same when the service runs (bench.run sets a fixed one).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SECRET_KEY = "clientela-bench-secret-key-not-for-production"

N_PROJECTS = 100
N_INTERNAL_PROJECTS = 4  # projects without a client
N_CLIENT_ORGS = 50
PEOPLE_PER_CLIENT = 20
N_STAFF = 30  # the admin included
BATCH = 20_000

WORDS = (
    "invoice report dashboard login export import onboarding payment search mobile layout email "
    "sync archive audit backup billing calendar checkout contract review upload migration api "
    "integration printing translation permissions newsletter survey analytics catalogue"
).split()
VERBS = "Fix Update Review Add Remove Improve Check Prepare Draft Plan Test Document".split()
LABELS = "bug feature urgent design backend frontend billing legal content seo data infra".split()
FIRST = "Ana Bruno Carla Dave Elena Farid Greta Hugo Ines Jonas Kira Luis Mona Nils Olga Pedro Rosa Sven Tara Uwe".split()
LAST = "Silva Meyer Costa Novak Berg Rossi Duarte Klein Moreau Petrov Santos Weber Lund Horvat Ortiz".split()
LANGS = (None, None, None, "es", "pt", "ru")

# UUIDv7 layout, as in clientela.core.ids.
_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_RANDOM_MASK = ~((0xF << 76) | (0b11 << 62)) & ((1 << 80) - 1)
HISTORY_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
HISTORY_MS = 365 * 24 * 3600 * 1000


def default_url(tasks: int, seed: int = 1) -> str:
    suffix = "" if seed == 1 else f"-s{seed}"
    return f"sqlite://{RESULTS_DIR / f'bench-{tasks}{suffix}.sqlite3'}"


def viewers_file(url: str) -> Path:
    """Where the viewers of a dataset are written: beside a SQLite file, else in results/."""
    if url.startswith("sqlite://"):
        return Path(url.removeprefix("sqlite://") + ".viewers.json")
    safe = "".join(c if c.isalnum() else "_" for c in url.split("@")[-1])
    return RESULTS_DIR / f"{safe}.viewers.json"


def _postgres_server(url: str) -> tuple[str, str]:
    """The URL of the server's `postgres` database (asyncpg's spelling), and the database named."""
    server, _, name = url.replace("postgres://", "postgresql://", 1).rpartition("/")
    return f"{server}/postgres", name.split("?")[0]


async def postgres_database_exists(url: str) -> bool:
    import asyncpg

    server, name = _postgres_server(url)
    connection = await asyncpg.connect(server)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


async def fresh_postgres_database(url: str) -> None:
    """The database of `url` dropped if it is there and created empty (the role needs CREATEDB,
    which scripts/postgres.sh gives it)."""
    import asyncpg

    server, name = _postgres_server(url)
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


class Ids:
    """Seeded UUIDv7s: the time part is the row's creation time, the rest seeded randomness."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def at(self, millis: int) -> uuid.UUID:
        bits = self.rng.getrandbits(80) & _RANDOM_MASK
        return uuid.UUID(int=(millis << 80) | bits | _VERSION_AND_VARIANT)


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


class Table:
    """The rows of one model's table, written with the model's own columns and conversions: a
    column added to the model later gets its default (or NULL) without a change here, and a
    NOT NULL column without a default, or a field the model no longer has, fails at once,
    before any row is made."""

    def __init__(self, model, given: tuple[str, ...]) -> None:
        meta = model._meta
        self.model = model
        self.name = meta.db_table
        self.total = 0
        self.rows: list[list] = []
        unknown = set(given) - set(meta.fields_db_projection)
        if unknown:
            raise ValueError(f"{self.name}: the model has no field {sorted(unknown)}")
        names = ("id", "created_at", *given)
        self.given = [(name, meta.fields_map[name]) for name in names]
        self.filled = []  # (column, value) of every field the generator does not write
        for name, column in meta.fields_db_projection.items():
            spec = meta.fields_map[name]
            if name in names or spec.generated:
                continue
            if spec.default is not None:
                value = spec.default() if callable(spec.default) else spec.default
            elif spec.null:
                value = None
            else:
                raise ValueError(f"{self.name}.{column} is NOT NULL without a default: bench/generate.py must write it")
            self.filled.append((column, spec.to_db_value(value, model)))
        self.columns = [meta.fields_db_projection[name] for name, _ in self.given] + [c for c, _ in self.filled]

    def add(self, *values) -> None:
        model = self.model
        row = [spec.to_db_value(value, model) for (_, spec), value in zip(self.given, values, strict=True)]
        self.rows.append(row + [value for _, value in self.filled])

    def insert_sql(self, dialect: str) -> str:
        columns = ", ".join(f'"{column}"' for column in self.columns)
        marks = ", ".join(f"${i}" if dialect == "postgres" else "?" for i in range(1, len(self.columns) + 1))
        return f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks})'


class Writer:
    """Buffers rows per table and writes them with executemany, in dependency order."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.dialect = connection.capabilities.dialect
        self.tables: dict[str, Table] = {}

    def table(self, model, *columns: str) -> Table:
        table = self.tables[model._meta.db_table] = Table(model, columns)
        return table

    async def flush(self, *names: str) -> None:
        for name in names or self.tables:
            table = self.tables[name]
            if table.rows:
                await self.connection.execute_many(table.insert_sql(self.dialect), table.rows)
                table.total += len(table.rows)
                table.rows.clear()


def _person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


# The benchmark viewers' sessions are kept ones that outlive any dataset (sessions end on the
# server by the clock, not the dataset's time).
SESSIONS_END = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def latest_migration() -> str:
    """The newest migration of the code: a dataset made at another one is made anew."""
    return max(p.stem for p in (Path(__file__).parents[1] / "backend" / "clientela" / "migrations").glob("0*.py"))


async def generate(url: str, tasks: int, seed: int = 1, quiet: bool = False) -> dict:
    """A fresh dataset at `url` (the SQLite file or the PostgreSQL database is made anew),
    migrated first; its viewers written beside it."""
    os.environ.setdefault("CLIENTELA_SECRET_KEY", SECRET_KEY)
    from tortoise import connections

    from clientela import db

    started = time.monotonic()
    if url.startswith("sqlite://"):
        path = Path(url.removeprefix("sqlite://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
    else:
        await fresh_postgres_database(url)
    await db.migrate(url)

    def log(message: str) -> None:
        if not quiet:
            print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)

    await db.connect(url)
    try:
        connection = connections.get("default")
        if connection.capabilities.dialect == "sqlite":
            # Loading only: the service later opens the file with Tortoise's own pragmas.
            await connection.execute_script("PRAGMA synchronous=OFF")
        info = await write_dataset(tasks, seed, log)
        # The planner's statistics, as `clientela migrate` leaves them on either database.
        await connection.execute_script("ANALYZE")
    finally:
        await db.disconnect()
    info |= {
        "url": url,
        "migration": latest_migration(),
        "secret_key": os.environ["CLIENTELA_SECRET_KEY"],
        "seconds": round(time.monotonic() - started, 1),
    }
    viewers_file(url).parent.mkdir(parents=True, exist_ok=True)
    viewers_file(url).write_text(json.dumps(info, indent=2))
    log(f"done: {sum(info['rows'].values()):,} rows; viewers in {viewers_file(url)}")
    return info


async def write_dataset(tasks: int, seed: int = 1, log=lambda message: None) -> dict:
    """The dataset's rows, written through Tortoise's default connection (already connected and
    migrated); the viewers, their tokens (hashed with the settings' secret key) and the ids the
    benchmark requests."""
    from tortoise import connections

    from clientela.accounts.models import Session
    from clientela.accounts.tokens import token_hash
    from clientela.conversations.models import Message
    from clientela.core.validation import fold
    from clientela.organizations.models import Department, Organization
    from clientela.people.models import User
    from clientela.portal.settings import PortalScope, default_portal_settings
    from clientela.projects.models import Project, ProjectFollower, ProjectMember, key_from_name
    from clientela.sharing.models import Share
    from clientela.tasks.models import ItemRefCounter, Task, TaskFollower, TaskLabel, TaskRequester, TimeEntry
    from clientela.workspaces.models import Workspace

    w = Writer(connections.get("default"))
    rng = random.Random(seed)
    ids = Ids(rng)

    T_ws = w.table(Workspace, "name", "currency", "language", "portal_settings")
    T_org = w.table(Organization, "workspace_id", "name", "kind", "language", "owner_id")
    T_dept = w.table(Department, "organization_id", "name")
    T_person = w.table(
        User,
        "workspace_id",
        "name",
        "email",
        "phone",
        "search_text",
        "password_hash",
        "is_admin",
        "invited",
        "organization_id",
        "department_id",
        "language",
        "privacy",
        "last_sign_in_at",
    )
    T_project = w.table(Project, "workspace_id", "name", "description", "client_id", "budget", "hourly_rate", "created_by_id")
    T_member = w.table(ProjectMember, "project_id", "user_id")
    T_pfollow = w.table(ProjectFollower, "project_id", "user_id", "organization_id")
    T_share = w.table(Share, "organization_id", "user_id", "role", "status", "created_by_id", "expires_at")
    T_session = w.table(Session, "user_id", "token_hash", "kept", "idle_expires_at", "expires_at")
    T_task = w.table(
        Task,
        "workspace_id",
        "project_id",
        "title",
        "description",
        "status",
        "priority",
        "due_date",
        "assignee_id",
        "estimated_minutes",
        "labels",
        "created_by_id",
        "ref",
        "updated_at",
        "search_title",
        "search_description",
    )
    T_counter = w.table(ItemRefCounter, "workspace_id", "prefix", "last_number")
    T_label = w.table(TaskLabel, "task_id", "label")
    T_req = w.table(TaskRequester, "task_id", "user_id", "organization_id")
    T_tfollow = w.table(TaskFollower, "task_id", "user_id")
    T_time = w.table(TimeEntry, "task_id", "user_id", "minutes", "date", "note", "billable")
    T_msg = w.table(Message, "workspace_id", "task_id", "project_id", "author_id", "body", "visibility")

    t0 = HISTORY_START - dt.timedelta(days=30)  # the firm, its people and projects predate the tasks

    def new(table: Table, when: dt.datetime, *values) -> uuid.UUID:
        row_id = ids.at(_ms(when))
        table.add(row_id, when, *values)
        return row_id

    def tick(minutes: int = 1) -> dt.datetime:
        nonlocal t0
        t0 += dt.timedelta(minutes=minutes)
        return t0

    # --- the firm ---
    portal = default_portal_settings().to_document()
    portal["scopes"] = sorted(PortalScope)  # the benchmark client reaches items through all three
    ws = new(T_ws, tick(), "Bench Consulting", "EUR", "en", portal)
    firm = new(T_org, tick(), ws, "Bench Consulting", "INTERNAL", None, None)
    staff: list[uuid.UUID] = []
    for i in range(N_STAFF):
        name = "Admin Bench" if i == 0 else _person_name(rng)
        email = f"staff{i}@bench.example"
        staff.append(
            new(
                T_person,
                tick(),
                ws,
                name,
                email,
                f"+1 555 01{i:02d}",
                fold(f"{name} {email}"),
                None,
                i == 0,
                True,
                firm,
                None,
                None,
                "HIDDEN_FROM_CLIENTS" if i % 3 == 0 else "VISIBLE_TO_ALL",
                None,
            )
        )
    admin, staff_viewer = staff[0], staff[1]

    # --- clients: 50 organizations of 20 people in two departments ---
    orgs: list[uuid.UUID] = []
    org_people: dict[uuid.UUID, list[uuid.UUID]] = {}
    for o in range(N_CLIENT_ORGS):
        org = new(T_org, tick(), ws, f"Client {o:02d} Ltd", "CLIENT", LANGS[o % len(LANGS)], staff[1 + o % (N_STAFF - 1)])
        orgs.append(org)
        depts = [new(T_dept, tick(), org, "Operations"), new(T_dept, tick(), org, "Finance")]
        people = []
        for p in range(PEOPLE_PER_CLIENT):
            name = _person_name(rng)
            email = f"person{p}@client{o:02d}.example"
            privacy = rng.choices(("VISIBLE_TO_ALL", "HIDDEN_FROM_CLIENTS", "HIDDEN_FROM_ALL"), (85, 10, 5))[0]
            people.append(
                new(
                    T_person,
                    tick(),
                    ws,
                    name,
                    email,
                    f"+44 20 7946 {o:02d}{p:02d}",
                    fold(f"{name} {email}"),
                    None,
                    False,
                    p < 12,
                    org,
                    depts[p % 2],
                    rng.choice(LANGS),
                    privacy,
                    None,
                )
            )
        org_people[org] = people
    client_viewer = org_people[orgs[0]][0]

    # Shares of some clients with staff consultants (read by every staff request's viewer_for).
    for o in range(0, N_CLIENT_ORGS, 5):
        new(
            T_share,
            tick(),
            orgs[o],
            staff[2 + o % (N_STAFF - 2)],
            "CSR" if o % 10 == 0 else "CONSULTANT",
            "ACCEPTED",
            staff[0],
            None,
        )

    # --- projects: 4 internal, 96 for clients (two for most clients) ---
    projects: list[uuid.UUID] = []
    project_names: list[str] = []
    project_client: list[uuid.UUID | None] = []
    project_members: list[list[uuid.UUID]] = []
    for i in range(N_PROJECTS):
        client = None if i < N_INTERNAL_PROJECTS else orgs[(i - N_INTERNAL_PROJECTS) % N_CLIENT_ORGS]
        name = f"Internal {i + 1}" if client is None else f"{rng.choice(WORDS).title()} programme {i:02d}"
        budget = f"{rng.randrange(20, 400) * 1000}.00" if client else None
        rate = f"{rng.choice((90, 110, 125, 150))}.00" if client else None
        project = new(T_project, tick(), ws, name, f"Project {i} of the benchmark.", client, budget, rate, admin)
        projects.append(project)
        project_names.append(name)
        project_client.append(client)
        members = rng.sample(staff[2:], 4)
        if i in (N_INTERNAL_PROJECTS, N_INTERNAL_PROJECTS + N_CLIENT_ORGS):  # the client viewer's two projects
            members.append(staff_viewer)
        project_members.append(members)
        for m in members:
            new(T_member, tick(), project, m)
        if client is not None:
            if i < N_INTERNAL_PROJECTS + N_CLIENT_ORGS:
                new(T_pfollow, tick(), project, None, client)  # the whole organization follows its first project
            for person in rng.sample(org_people[client][1:], 2):  # two people follow each project in person
                new(T_pfollow, tick(), project, person, None)
    bench_project = projects[N_INTERNAL_PROJECTS]  # client 00's first project: followed by the org
    await w.flush()
    log("firm, clients, projects written")

    # --- tasks, spread over one year, each with its people, labels, time and conversation ---
    session_tokens = {}
    span = HISTORY_MS / tasks
    best_task: tuple[tuple[bool, int], uuid.UUID] | None = None
    start_ms = _ms(HISTORY_START)
    # The prefix of each project's item references, and the last number given to each prefix.
    project_prefix = [key_from_name(name) for name in project_names]
    refs: dict[str, int] = {}
    statuses, status_w = ("OPEN", "IN_PROGRESS", "ON_HOLD", "DONE"), (30, 20, 5, 45)
    priorities, priority_w = ("LOW", "NORMAL", "HIGH", "URGENT"), (20, 55, 20, 5)
    rand, choice, randrange = rng.random, rng.choice, rng.randrange
    for k in range(tasks):
        ms = start_ms + int(k * span)
        when = HISTORY_START + dt.timedelta(milliseconds=ms - start_ms)
        p = randrange(N_PROJECTS)
        project, client, members = projects[p], project_client[p], project_members[p]
        people = org_people[client] if client else []
        labels = sorted(set(rng.sample(LABELS, randrange(0, 4))))
        task = ids.at(ms)
        title = f"{choice(VERBS)} {choice(WORDS)} {choice(WORDS)} #{k}"
        description = f"As discussed: the {choice(WORDS)} needs a {choice(WORDS)} step before the {choice(WORDS)} goes live. " * 2
        prefix = project_prefix[p]
        refs[prefix] = refs.get(prefix, 0) + 1
        # Changed some time after it was made, as items are (by its conversation or an edit).
        updated = when + dt.timedelta(minutes=randrange(0, 60 * 24 * 30))
        T_task.add(
            task,
            when,
            ws,
            project,
            title,
            description,
            rng.choices(statuses, status_w)[0],
            rng.choices(priorities, priority_w)[0],
            (when + dt.timedelta(days=randrange(3, 90))).date() if rand() < 0.6 else None,
            choice(members) if rand() < 0.8 else None,
            randrange(30, 2400, 30) if rand() < 0.5 else None,
            labels,
            choice(members),
            f"{prefix}-{refs[prefix]}",
            updated,
            fold(title),
            fold(description),
        )
        later = when
        for label in labels:
            new(T_label, later, task, label)
        requesters = []
        if people and rand() < 0.65:
            requesters = rng.sample(people, 1 if rand() < 0.7 else 2)
        for r in requesters:
            new(T_req, later, task, r, client)
        followers = set()
        for _ in range(randrange(0, 3)):
            followers.add(choice(people) if people and rand() < 0.3 else choice(members))
        if people and not requesters and p == N_INTERNAL_PROJECTS + N_CLIENT_ORGS and rand() < 0.2:
            followers.add(client_viewer)  # items only the viewer's own scope reaches
        for f in sorted(followers):
            new(T_tfollow, later, task, f)
        n_time = randrange(0, 4)
        for _ in range(n_time):
            later += dt.timedelta(hours=randrange(1, 48))
            new(T_time, later, task, choice(members), randrange(15, 240, 15), later.date(), "Work on it", rand() < 0.8)
        n_msg = 0
        for visibility in ("PUBLIC", "INTERNAL"):
            for _ in range(randrange(0, 3)):
                later += dt.timedelta(minutes=randrange(5, 600))
                author = choice(requesters) if visibility == "PUBLIC" and requesters and rand() < 0.5 else choice(members)
                body = f"{'Reply' if visibility == 'PUBLIC' else 'Note'}: the {choice(WORDS)} looks {choice(('fine', 'late', 'done', 'odd'))}."
                new(T_msg, later, ws, task, None, author, body, visibility)
                n_msg += 1
        if project == bench_project:  # TaskPage's item: the fullest, with two requesters if any has
            score = (len(requesters) == 2 and bool(followers) and n_time >= 2 and n_msg >= 3, len(followers) + n_time + n_msg)
            if best_task is None or score > best_task[0]:
                best_task = (score, task)
        if len(T_task.rows) >= BATCH:
            await w.flush("task", "task_label", "task_requester", "task_follower", "time_entry", "message")
            if k % (BATCH * 5) < BATCH:
                log(f"{k + 1:,} tasks")
    for prefix, last in sorted(refs.items()):
        new(T_counter, tick(), ws, prefix, last)
    await w.flush()
    log(f"{tasks:,} tasks written")

    # --- sessions for the benchmark viewers ---
    for role, user in (("client", client_viewer), ("staff", staff_viewer), ("admin", admin)):
        token = f"bench-{role}-{seed}-{rng.getrandbits(96):024x}"
        session_tokens[role] = token
        new(T_session, tick(), user, token_hash(token), True, SESSIONS_END, SESSIONS_END)
    await w.flush()
    return {
        "tasks": tasks,
        "seed": seed,
        "tokens": session_tokens,
        "client_user_id": str(client_viewer),
        "client_organization_id": str(orgs[0]),
        "staff_user_id": str(staff_viewer),
        "admin_user_id": str(admin),
        "project_id": str(bench_project),
        "task_id": str(best_task[1]),
        "rows": {name: table.total for name, table in w.tables.items()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000, help="100000 (default) or 1000000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="Tortoise database URL (default: a SQLite file under bench/results/)")
    args = parser.parse_args(argv)
    info = asyncio.run(generate(args.url or default_url(args.tasks, args.seed), args.tasks, args.seed))
    json.dump({k: info[k] for k in ("tokens", "project_id", "task_id", "rows", "seconds")}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
