"""Build the benchmark dataset: one workspace of a consulting firm with 100 projects, 50 client
organizations of 20 people each (1,000 client people), 30 staff, and --tasks tasks (100,000 by
default, 1,000,000 on request) with requesters, followers, labels, time entries and public and
internal messages. Deterministic for a given --seed: the same ids, rows and bearer tokens.

    .venv/bin/python -m bench.generate [--tasks 100000] [--url sqlite://bench/results/bench-100000.sqlite3]

Migrations are applied first (`clientela.db.migrate`); rows go in with one `executemany` per
batch through Tortoise's connection (SQLite or PostgreSQL). Ids are UUIDv7 laid out exactly as
`clientela.core.ids.uuid7` makes them, but with the time part spread over one year of history
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
from dataclasses import dataclass, field
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


class Ids:
    """Seeded UUIDv7s: the time part is the row's creation time, the rest seeded randomness."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def at(self, millis: int) -> uuid.UUID:
        bits = self.rng.getrandbits(80) & _RANDOM_MASK
        return uuid.UUID(int=(millis << 80) | bits | _VERSION_AND_VARIANT)


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


@dataclass
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    total: int = 0
    # Columns the generator does not write, with the model's default (NOT NULL columns added
    # after the generator was written get their default instead of failing the insert).
    defaults: dict[str, object] = field(default_factory=dict)


def _model_defaults(table: str, columns: tuple[str, ...]) -> dict[str, object]:
    """The model's defaults of `table`'s NOT NULL columns that are not in `columns`."""
    from tortoise import Tortoise

    model = next(m for m in Tortoise.apps["models"].values() if m._meta.db_table == table)
    written = {"id", "created_at", *columns}
    defaults: dict[str, object] = {}
    for name, column in model._meta.fields_db_projection.items():
        spec = model._meta.fields_map[name]
        if column in written or spec.null or spec.default is None:
            continue
        value = spec.default() if callable(spec.default) else spec.default
        defaults[column] = getattr(value, "value", value)  # enums as their text
    return defaults


class Writer:
    """Buffers rows per table and writes them with executemany, in dependency order."""

    def __init__(self, connection, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect
        self.tables: dict[str, Table] = {}

    def table(self, name: str, *columns: str) -> Table:
        self.tables[name] = Table(name, ("id", "created_at") + columns, defaults=_model_defaults(name, columns))
        return self.tables[name]

    def _value(self, value):
        if self.dialect == "sqlite":
            if isinstance(value, uuid.UUID):
                return str(value)
            if isinstance(value, dt.datetime):
                return value.isoformat(sep=" ", timespec="microseconds")
            if isinstance(value, dt.date):
                return value.isoformat()
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, (list, dict)):
                return json.dumps(value, separators=(",", ":"))
            return value
        if isinstance(value, (list, dict)):
            return json.dumps(value, separators=(",", ":"))
        return value

    async def flush(self, *names: str) -> None:
        for name in names or self.tables:
            table = self.tables[name]
            if not table.rows:
                continue
            columns = table.columns + tuple(table.defaults)
            cols = ", ".join(f'"{c}"' for c in columns)
            if self.dialect == "sqlite":
                marks = ", ".join("?" for _ in columns)
            else:
                marks = ", ".join(f"${i + 1}" for i in range(len(columns)))
            sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'
            defaults = [self._value(v) for v in table.defaults.values()]
            values = [[self._value(v) for v in row] + defaults for row in table.rows]
            await self.connection.execute_many(sql, values)
            table.total += len(table.rows)
            table.rows.clear()


def _person_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


async def generate(url: str, tasks: int, seed: int = 1, quiet: bool = False) -> dict:
    os.environ.setdefault("CLIENTELA_SECRET_KEY", SECRET_KEY)
    from tortoise import Tortoise, connections

    from clientela import db
    from clientela.accounts.tokens import token_hash
    from clientela.core.validation import fold
    from clientela.portal.settings import PortalScope, default_portal_settings
    from clientela.projects.models import key_from_name

    started = time.monotonic()
    if url.startswith("sqlite://"):
        path = Path(url.removeprefix("sqlite://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
    await db.migrate(url)
    await db.connect(url)
    connection = connections.get("default")
    dialect = connection.capabilities.dialect
    if dialect == "sqlite":
        # Loading only: the service later opens the file with Tortoise's own pragmas.
        await connection.execute_script("PRAGMA synchronous=OFF")
    w = Writer(connection, dialect)
    rng = random.Random(seed)
    ids = Ids(rng)

    def log(message: str) -> None:
        if not quiet:
            print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)

    T_ws = w.table("workspace", "name", "currency", "language", "portal_settings")
    T_org = w.table("organization", "workspace_id", "name", "kind", "language", "owner_id")
    T_dept = w.table("department", "organization_id", "name")
    T_person = w.table(
        "person", "workspace_id", "name", "email", "phone", "search_text", "password_hash", "is_admin", "invited",
        "organization_id", "department_id", "language", "privacy", "last_sign_in_at",
    )
    T_project = w.table("project", "workspace_id", "name", "description", "client_id", "budget", "hourly_rate", "created_by_id")
    T_member = w.table("project_member", "project_id", "user_id")
    T_pfollow = w.table("project_follower", "project_id", "user_id", "organization_id")
    T_share = w.table("share", "organization_id", "user_id", "role", "status", "created_by_id", "expires_at")
    T_session = w.table("session", "user_id", "token_hash")
    T_task = w.table(
        "task", "workspace_id", "project_id", "title", "description", "status", "priority", "due_date", "assignee_id",
        "estimated_minutes", "labels", "created_by_id", "ref", "updated_at", "search_title", "search_description",
    )
    T_counter = w.table("item_ref_counter", "workspace_id", "prefix", "last_number")
    T_label = w.table("task_label", "task_id", "label")
    T_req = w.table("task_requester", "task_id", "user_id", "organization_id")
    T_tfollow = w.table("task_follower", "task_id", "user_id")
    T_time = w.table("time_entry", "task_id", "user_id", "minutes", "date", "note", "billable")
    T_msg = w.table("message", "workspace_id", "task_id", "project_id", "author_id", "body", "visibility")

    t0 = HISTORY_START - dt.timedelta(days=30)  # the firm, its people and projects predate the tasks

    def new(table: Table, when: dt.datetime, *values) -> uuid.UUID:
        row_id = ids.at(_ms(when))
        table.rows.append((row_id, when) + values)
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
            new(T_person, tick(), ws, name, email, f"+1 555 01{i:02d}", fold(f"{name} {email}"), None, i == 0, True,
                firm, None, None, "HIDDEN_FROM_CLIENTS" if i % 3 == 0 else "VISIBLE_TO_ALL", None)
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
                new(T_person, tick(), ws, name, email, f"+44 20 7946 {o:02d}{p:02d}", fold(f"{name} {email}"), None, False,
                    p < 12, org, depts[p % 2], rng.choice(LANGS), privacy, None)
            )
        org_people[org] = people
    client_viewer = org_people[orgs[0]][0]

    # Shares of some clients with staff consultants (read by every staff request's viewer_for).
    for o in range(0, N_CLIENT_ORGS, 5):
        new(T_share, tick(), orgs[o], staff[2 + o % (N_STAFF - 2)], "CSR" if o % 10 == 0 else "CONSULTANT",
            "ACCEPTED", staff[0], None)

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
    best_task: tuple[int, uuid.UUID] | None = None
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
        T_task.rows.append((
            task, when, ws, project, title, description,
            rng.choices(statuses, status_w)[0], rng.choices(priorities, priority_w)[0],
            (when + dt.timedelta(days=randrange(3, 90))).date() if rand() < 0.6 else None,
            choice(members) if rand() < 0.8 else None,
            randrange(30, 2400, 30) if rand() < 0.5 else None, labels, choice(members),
            f"{prefix}-{refs[prefix]}", updated, fold(title), fold(description),
        ))
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
        if project == bench_project and len(requesters) == 2 and followers and n_time >= 2 and n_msg >= 3:
            score = len(followers) + n_time + n_msg
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
        new(T_session, tick(), user, token_hash(token))
    await w.flush()
    # The planner's statistics, as `clientela migrate` leaves them on SQLite.
    await connection.execute_script("ANALYZE")
    counts = {name: table.total for name, table in w.tables.items()}
    await Tortoise.close_connections()

    info = {
        "url": url,
        "tasks": tasks,
        "seed": seed,
        "secret_key": os.environ["CLIENTELA_SECRET_KEY"],
        "tokens": session_tokens,
        "client_user_id": str(client_viewer),
        "client_organization_id": str(orgs[0]),
        "staff_user_id": str(staff_viewer),
        "admin_user_id": str(admin),
        "project_id": str(bench_project),
        "task_id": str(best_task[1]) if best_task else None,
        "rows": counts,
        "seconds": round(time.monotonic() - started, 1),
    }
    viewers_file(url).parent.mkdir(parents=True, exist_ok=True)
    viewers_file(url).write_text(json.dumps(info, indent=2))
    log(f"done: {sum(counts.values()):,} rows; viewers in {viewers_file(url)}")
    return info


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
