"""The floor: the client portal's first page (the data of PortalHome) from a plain Starlette
route, with hand-written SQL straight through the database driver (aiosqlite on SQLite, the
driver Tortoise uses there; asyncpg on PostgreSQL, with a pool of its own) and the stdlib `json`.
It does the same work a real request must do (bearer token -> session -> person, organization
and workspace; the portal settings; the union of the three portal scopes, first page by id,
total count) in three SQL statements, and answers the same JSON as the GraphQL endpoint, byte
for byte in content (bench.run checks that before it measures, tests/test_bench_dataset.py on
a small dataset of each database).

    uvicorn bench.floor:create_app --factory   (CLIENTELA_DATABASE_URL=sqlite://… or postgres://…)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import uuid
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clientela.portal.settings import PortalScope, TaskField, settings_of

# Statements sent, for bench.run's statements-per-request figure.
STATEMENTS = 0

VIEWER_SQL = """
SELECT p.id, p.name, p.language, p.organization_id, p.is_admin, o.name, o.kind, o.language,
       w.id, w.language, w.portal_settings
FROM session s
JOIN person p ON p.id = s.user_id
JOIN workspace w ON w.id = p.workspace_id
LEFT JOIN organization o ON o.id = p.organization_id
WHERE s.token_hash = :token_hash
"""

# The union of the portal scopes, each branch an index search (see policy.tasks_visible).
SCOPE_SQL = {
    PortalScope.OWN_REQUESTS: (
        "SELECT task_id FROM task_requester WHERE user_id = :user UNION SELECT task_id FROM task_follower WHERE user_id = :user"
    ),
    PortalScope.ORGANIZATION_REQUESTS: ("SELECT task_id FROM task_requester WHERE organization_id = :org"),
    PortalScope.FOLLOWED_PROJECTS: (
        "SELECT id FROM task WHERE project_id IN (SELECT f.project_id FROM project_follower f"
        " JOIN project pr ON pr.id = f.project_id WHERE pr.workspace_id = :ws"
        " AND (f.user_id = :user OR f.organization_id = :org))"
    ),
}

PAGE_SQL = """
SELECT t.id, t.title, t.status, t.priority, t.due_date, t.labels, pr.id, pr.name
FROM task t JOIN project pr ON pr.id = t.project_id
WHERE t.workspace_id = :ws AND t.id IN ({visible}) {after}
ORDER BY t.id LIMIT :limit
"""

COUNT_SQL = "SELECT count(*) FROM ({visible}) AS visible"


def _cursor(task_id: str) -> str:
    return base64.urlsafe_b64encode(uuid.UUID(task_id).bytes).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    return str(uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))))


class SqliteRows:
    """Statements through one aiosqlite connection, as Tortoise has it on SQLite."""

    def __init__(self, url: str) -> None:
        self.path = url.removeprefix("sqlite://").split("?")[0]
        self.db = None

    async def open(self) -> None:
        import aiosqlite

        self.db = await aiosqlite.connect(self.path)
        for pragma in ("journal_mode=WAL", "journal_size_limit=16384", "foreign_keys=ON"):
            await self.db.execute(f"PRAGMA {pragma}")

    async def close(self) -> None:
        await self.db.close()

    async def fetch(self, sql: str, params: dict) -> list[tuple]:
        return await self.db.execute_fetchall(sql, params)


class PostgresRows:
    """Statements through an asyncpg pool (as large as Tortoise's default), each prepared once
    per connection (asyncpg's statement cache); uuids and dates come back as text, as SQLite
    gives them."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.pool = None
        self._numbered: dict[str, tuple[str, list[str]]] = {}

    async def open(self) -> None:
        import asyncpg

        async def text_types(connection) -> None:
            for name in ("uuid", "date"):
                await connection.set_type_codec(name, encoder=str, decoder=str, schema="pg_catalog", format="text")

        self.pool = await asyncpg.create_pool(self.url, min_size=1, max_size=5, init=text_types)

    async def close(self) -> None:
        await self.pool.close()

    def numbered(self, sql: str) -> tuple[str, list[str]]:
        """`:name` parameters as asyncpg's `$n`, and the names in their order."""
        if sql not in self._numbered:
            names: list[str] = []

            def number(match: re.Match) -> str:
                if match[1] not in names:
                    names.append(match[1])
                return f"${names.index(match[1]) + 1}"

            self._numbered[sql] = (re.sub(r"(?<!:):([a-z_]+)", number, sql), names)
        return self._numbered[sql]

    async def fetch(self, sql: str, params: dict) -> list[tuple]:
        text, names = self.numbered(sql)
        return await self.pool.fetch(text, *(params[name] for name in names))


class Floor:
    def __init__(self, url: str, secret: str) -> None:
        self.rows = SqliteRows(url) if url.startswith("sqlite://") else PostgresRows(url)
        self.key = secret.encode()
        self._settings: dict[str, object] = {}

    async def open(self) -> None:
        await self.rows.open()

    async def close(self) -> None:
        await self.rows.close()

    async def fetch(self, sql: str, params: dict) -> list:
        global STATEMENTS
        STATEMENTS += 1
        return await self.rows.fetch(sql, params)

    def portal(self, document: str):
        settings = self._settings.get(document)
        if settings is None:
            settings = self._settings[document] = settings_of(json.loads(document))
        return settings

    async def portal_home(self, token: str, first: int = 50, after: str | None = None) -> dict | None:
        """PortalHome's data for the client of this bearer token; None for no session (or for a
        viewer who is not a client, whom the floor does not serve)."""
        token_hash = hmac.new(self.key, token.strip().encode(), hashlib.sha256).hexdigest()
        rows = await self.fetch(VIEWER_SQL, {"token_hash": token_hash})
        if not rows:
            return None
        user_id, name, language, org_id, is_admin, org_name, org_kind, org_language, ws_id, ws_language, doc = rows[0]
        if is_admin or org_kind != "CLIENT":
            return None
        portal = self.portal(doc)
        branches = [SCOPE_SQL[s] for s in PortalScope if s in portal.scopes]
        visible = " UNION ".join(branches) if branches else "SELECT NULL WHERE 1 = 0"
        params = {"user": user_id, "org": org_id, "ws": ws_id, "limit": first + 1}
        after_sql = ""
        if after:
            params["after"] = _decode_cursor(after)
            after_sql = "AND t.id > :after"
        page = await self.fetch(PAGE_SQL.format(visible=visible, after=after_sql), params)
        total = (await self.fetch(COUNT_SQL.format(visible=visible), params))[0][0]
        fields = portal.visible_task_fields
        status, priority = TaskField.STATUS in fields, TaskField.PRIORITY in fields
        due, labels = TaskField.DUE_DATE in fields, TaskField.LABELS in fields
        edges = [
            {
                "cursor": _cursor(t_id),
                "node": {
                    "id": t_id,
                    "title": title,
                    "status": t_status if status else None,
                    "priority": t_priority if priority else None,
                    "dueDate": t_due if due else None,
                    "labels": json.loads(t_labels) if labels else None,
                    "project": {"id": p_id, "name": p_name},
                },
            }
            for t_id, title, t_status, t_priority, t_due, t_labels, p_id, p_name in page[:first]
        ]
        return {
            "viewer": {
                "id": user_id,
                "name": name,
                "language": language or org_language or ws_language,
                "organization": {"id": org_id, "name": org_name, "kind": org_kind},
            },
            "portalItems": {
                "totalCount": total,
                "pageInfo": {"hasNextPage": len(page) > first, "endCursor": edges[-1]["cursor"] if edges else None},
                "edges": edges,
            },
        }


def create_app() -> Starlette:
    floor = Floor(os.environ["CLIENTELA_DATABASE_URL"], os.environ["CLIENTELA_SECRET_KEY"])

    @asynccontextmanager
    async def lifespan(app):
        await floor.open()
        yield
        await floor.close()

    async def portal_home(request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return JSONResponse({"errors": [{"message": "sign in"}]}, 401)
        variables = json.loads(await request.body() or b"{}").get("variables") or {}
        data = await floor.portal_home(token, variables.get("first") or 50, variables.get("after"))
        if data is None:
            return JSONResponse({"errors": [{"message": "the floor answers a client's session only"}]}, 401)
        return Response(json.dumps({"data": data}), media_type="application/json")

    async def statements(request: Request) -> Response:
        return JSONResponse({"statements": STATEMENTS})

    return Starlette(
        routes=[Route("/portal-home", portal_home, methods=["POST"]), Route("/statements", statements)],
        lifespan=lifespan,
    )
