"""Fair use: a request budget per session (per client address for anonymous requests), as two
token buckets kept in the database so that every server process draws on the same budget.

- GENERAL: every GraphQL request and every CSV export; `fair_use_requests_per_second` sustained,
  bursts of `fair_use_burst`.
- EXPENSIVE: the operations that cost far more than a page (EXPENSIVE_FIELDS, the bulk writes of
  BULK_LIST_ARGUMENTS when they name more than MANY_IDS ids, and the CSV export);
  `fair_use_expensive_per_minute` sustained, bursts of `fair_use_expensive_burst`. Each such
  field of a document takes one token (three aliases of timeReport take three).

A request over budget is refused with RATE_LIMITED and `retryAfterSeconds`; refused requests
take nothing from the budget.

The shared state is one row per bucket and session (`fair_use_bucket`: tokens as of
`updated_at`), written with one atomic upsert (refill for the time elapsed, capped at the burst;
take what was spent; RETURNING the result), the same statement on SQLite and PostgreSQL. So that
a page does not pay a write, each process settles with the row only once every `batch` requests
of a session (a tenth of the burst, at most `fair_use_settle_every`, 20): in between it counts locally, against
what the row said at the last settlement refilled since, which can only overstate what is left.
When that local view says the budget is spent, the request is refused without asking the
database; when it says there is enough, it is let through. Across P processes a session can
therefore overdraw by at most P × batch requests before every process knows (10% of the burst
each); an overdraft is a debt the bucket pays back before it lets more through. With a burst of
10 or less the batch is 1: every request settles, and the budget is exact.

Budgets bound how often a session asks, not how much of a process it holds at once: eight
connections looping 50 ms pages stay well within 50 requests/s, and on one event loop every
step of a quiet client's request then queues behind their steps. So a process also runs at
most `fair_use_running_requests` GraphQL requests at once (`Admission`, through the
`FairAdmission` middleware, from a request's first byte read to its last byte sent): a request
waits for a place, and a freed place goes to the waiting session with the fewest requests
running, and among those to the one served least recently: sessions take turns. A quiet
client then waits for the end of at most one request, not behind every step of all of them.
Expensive operations, bounded by their own budget and read on their own connection
(clientela.db.long_reads), leave their place once they are known to be expensive and run
beside; the CSV export makes each batch of rows only when no place is taken (or after
BACKGROUND_WAIT), so that it goes on in the gaps between interactive requests. Waiting counts
in the request's time limit; beyond `fair_use_waiting_requests` waiting requests of one
session, a request is refused with RATE_LIMITED. This is per process on purpose: what it
shares out is the process's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from clientela.accounts.tokens import token_hash
from clientela.core import requests
from clientela.core.errors import BadUserInput, RateLimited
from clientela.settings import Settings

GENERAL = "general"
EXPENSIVE = "expensive"

# What counts as expensive, in one place. Always expensive: reports and the bulk writes that
# fan out to many rows and emails.
EXPENSIVE_FIELDS = frozenset({"Query.timeReport", "Mutation.shareOrganization", "Mutation.assignClientToProjects"})
# Expensive when one of these list arguments names more than MANY_IDS items.
BULK_LIST_ARGUMENTS = {
    "Mutation.addProjectMembers": ("userIds",),
    "Mutation.removeProjectMembers": ("userIds",),
    "Mutation.followProject": ("userIds", "organizationIds"),
    "Mutation.unfollowProject": ("userIds", "organizationIds"),
    "Mutation.addTaskRequesters": ("userIds",),
    "Mutation.addTaskFollowers": ("userIds",),
    "Mutation.ccColleagues": ("userIds",),
}
MANY_IDS = 10
# The CSV export (GET /reports/time.csv) takes one expensive token too; see app.time_report_csv.

# A process settles a bucket with the database at least once every this many requests (the
# default of `fair_use_settle_every`), and at least once every tenth of the burst.
SETTLE_EVERY = 20
# Rows untouched this long are full again (or as good as): deleted, once an hour per process.
PURGE_AFTER_SECONDS = 3600
# Buckets a process keeps in memory (least recently used dropped first).
LOCAL_BUCKETS = 10_000
# The longest a step of background work waits for the places to be free.
BACKGROUND_WAIT = 0.02


@dataclass(frozen=True)
class Rule:
    name: str
    per_second: float
    burst: float

    settle_every: int = SETTLE_EVERY

    @property
    def batch(self) -> int:
        return max(1, min(self.settle_every, int(self.burst // 10)))

    def refilled(self, tokens: float, seconds: float) -> float:
        return min(self.burst, tokens + max(0.0, seconds) * self.per_second)

    def wait(self, missing: float) -> int:
        return max(1, math.ceil(missing / self.per_second))


@dataclass
class _Local:
    tokens: float  # what the database row said at `at` (or a full bucket, before the first settlement)
    at: float
    pending: int = 0  # let through here since, not yet settled
    settling: int = 0  # being settled right now
    busy: bool = False


def rules(settings: Settings) -> dict[str, Rule]:
    every = settings.fair_use_settle_every
    return {
        GENERAL: Rule(GENERAL, settings.fair_use_requests_per_second, settings.fair_use_burst, every),
        EXPENSIVE: Rule(EXPENSIVE, settings.fair_use_expensive_per_minute / 60, settings.fair_use_expensive_burst, every),
    }


def budget_key(session_token: str | None, signed_in: bool, client_ip: str) -> str:
    """A signed-in request draws on its session's budget; any other on its client address's."""
    return f"s:{token_hash(session_token)[:40]}" if signed_in and session_token else f"ip:{client_ip}"


class FairUse:
    """The budgets, as one server process (one app) sees them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.local: OrderedDict[str, _Local] = OrderedDict()
        self.last_purge = time.time()
        self.admission = Admission(settings.fair_use_running_requests, settings.fair_use_waiting_requests)
    async def take(self, key: str, bucket: str, cost: int = 1) -> None:
        """Let one request through, spending `cost` tokens of `bucket`, or refuse it."""
        every = rules(self.settings)
        rule = every[bucket]
        if cost > rule.burst:
            raise BadUserInput(
                f"This request asks for {cost} expensive operations; at most {int(rule.burst)} "
                "may run in one request.",
                limit="expensive",
            )
        row_key = f"{bucket}:{key}"
        now = time.time()
        local = self.local.get(row_key)
        if local is None:
            local = self.local[row_key] = _Local(tokens=rule.burst, at=now)
            if len(self.local) > LOCAL_BUCKETS:
                self.local.popitem(last=False)
        else:
            self.local.move_to_end(row_key)
        available = rule.refilled(local.tokens, now - local.at) - local.pending - local.settling
        if available < cost:
            raise _refusal(rule, cost - available)
        if local.busy or local.pending + cost < rule.batch:
            local.pending += cost
            return
        # Settle: what was let through here since the last time, and this request if it fits.
        spent = local.pending
        local.busy, local.pending, local.settling = True, 0, spent + cost
        try:
            tokens, granted = await _settle(row_key, rule, now, spent, cost)
            local.tokens, local.at = tokens, now
        except BaseException:
            local.pending += spent  # still owed; settled next time
            raise
        finally:
            local.busy, local.settling = False, 0
        if now - self.last_purge > PURGE_AFTER_SECONDS:
            self.last_purge = now
            await _purge(now - max(PURGE_AFTER_SECONDS, *(r.burst / r.per_second for r in every.values())))
        if not granted:
            raise _refusal(rule, cost - rule.refilled(tokens, time.time() - now))


class Admission:
    """The places of one process where GraphQL executions run; see the module's docstring."""

    def __init__(self, places: int, waiting_per_session: int) -> None:
        self.free = places
        self.waiting_per_session = waiting_per_session
        self.running: dict[str, int] = {}
        self.waiting: dict[str, list[tuple[int, asyncio.Future]]] = {}
        self.arrivals = 0
        self.admitted: dict[str, int] = {}  # when each session with a request here last got a place
        self.admissions = 0
        self.idle = asyncio.Event()  # no place taken
        self.idle.set()
        self.places = places

    async def background_step(self) -> None:
        """Before a step of background work (a batch of an export): wait until no place is
        taken, or BACKGROUND_WAIT at most, so that the work goes on, slower, under any load."""
        if not self.idle.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.idle.wait(), BACKGROUND_WAIT)

    @asynccontextmanager
    async def place(self, key: str) -> AsyncIterator[Place]:
        if self.free > 0:
            self.free -= 1
            self.idle.clear()
        else:
            queue = self.waiting.setdefault(key, [])
            if len(queue) >= self.waiting_per_session:
                if not queue:
                    del self.waiting[key]
                raise RateLimited(1, "Too many requests at once; try again in 1 second.", limit="concurrent")
            self.arrivals += 1
            entry = (self.arrivals, asyncio.get_running_loop().create_future())
            queue.append(entry)
            try:
                await entry[1]  # set when a place is handed over: `free` was not given back
            except BaseException:
                if entry in queue:
                    queue.remove(entry)
                    if not queue and self.waiting.get(key) is queue:
                        del self.waiting[key]
                    self._forget_if_idle(key)
                elif not entry[1].cancelled():
                    self._hand_over()  # handed a place just as it gave up: pass it on
                raise
        self.running[key] = self.running.get(key, 0) + 1
        self.admissions += 1
        self.admitted[key] = self.admissions
        place = Place(self, key)
        try:
            yield place
        finally:
            place.release()

    def _leave(self, key: str) -> None:
        self.running[key] -= 1
        if not self.running[key]:
            del self.running[key]
            self._forget_if_idle(key)
        self._hand_over()

    def _forget_if_idle(self, key: str) -> None:
        if key not in self.running and key not in self.waiting:
            self.admitted.pop(key, None)

    def _hand_over(self) -> None:
        """The freed place goes to the waiting session with the fewest running, then to the one
        served least recently (sessions take turns), then to the earliest request."""
        while self.waiting:
            key = min(self.waiting, key=lambda k: (self.running.get(k, 0), self.admitted.get(k, 0), self.waiting[k][0][0]))
            queue = self.waiting[key]
            _, ready = queue.pop(0)
            if not queue:
                del self.waiting[key]
            if not ready.done():  # not given up meanwhile
                ready.set_result(None)
                return
            self._forget_if_idle(key)
        self.free += 1
        if self.free == self.places:
            self.idle.set()


class Place:
    """A request's place; released when the request ends, or earlier by `release`."""

    def __init__(self, admission: Admission, key: str) -> None:
        self.admission, self.key, self.held = admission, key, True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.admission._leave(self.key)


class FairAdmission:
    """ASGI middleware: every request to `path` runs in a place, from its first byte read to
    its last byte sent; its session is the bearer token's (the client address without one)."""

    def __init__(self, app, fair_use: FairUse, path: str = "/graphql") -> None:
        self.app, self.fair_use, self.path = app, fair_use, path

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        key = budget_key(token, bool(token), scope["client"][0] if scope.get("client") else "unknown")
        try:
            async with self.fair_use.admission.place(key) as place:
                scope.setdefault("state", {})["fair_use_place"] = place
                await self.app(scope, receive, send)
        except RateLimited as refusal:
            await _refuse(refusal, send)


async def _refuse(refusal: RateLimited, send) -> None:
    if (record := requests.current()) is not None:
        record.refused(refusal)
    body = json.dumps({"errors": [{"message": refusal.message, "extensions": refusal.extensions}]}).encode()
    await send({"type": "http.response.start", "status": refusal.http_status, "headers": [
        (b"content-type", b"application/json"), (b"retry-after", str(refusal.retry_after_seconds).encode())]})
    await send({"type": "http.response.body", "body": body})


def _refusal(rule: Rule, missing: float) -> RateLimited:
    wait = rule.wait(missing)
    what = "requests" if rule.name == GENERAL else "expensive requests (reports, exports, bulk changes)"
    return RateLimited(wait, f"Too many {what}; try again in {wait} seconds.", limit=rule.name)


# --- the shared rows ---------------------------------------------------------------------------

_REFILLED = (
    "CASE WHEN fair_use_bucket.tokens + (CASE WHEN :now > fair_use_bucket.updated_at "
    "THEN :now - fair_use_bucket.updated_at ELSE 0 END) * :rate > :burst THEN :burst "
    "ELSE fair_use_bucket.tokens + (CASE WHEN :now > fair_use_bucket.updated_at "
    "THEN :now - fair_use_bucket.updated_at ELSE 0 END) * :rate END - :spent"
)
_SETTLE = (
    'INSERT INTO fair_use_bucket (id, tokens, updated_at, granted) VALUES (:key, :fresh, :now, :fresh_granted) '
    'ON CONFLICT (id) DO UPDATE SET '
    f"tokens = ({_REFILLED}) - CASE WHEN ({_REFILLED}) >= :cost THEN :cost ELSE 0 END, "
    f"granted = (({_REFILLED}) >= :cost), "
    "updated_at = CASE WHEN :now > fair_use_bucket.updated_at THEN :now ELSE fair_use_bucket.updated_at END "
    "RETURNING tokens, granted"
)
_NUMBERS = {"now", "rate", "burst", "spent", "cost", "fresh"}


def _statement(sql: str, values: dict[str, object]) -> tuple[str, list]:
    """`:name` parameters as the connection wants them: `?` in order (SQLite), `$n` (PostgreSQL)."""
    from clientela import db

    postgres = db.is_postgres()
    order: list[str] = []

    def marker(match: re.Match) -> str:
        name = match.group(1)
        if postgres:
            if name not in order:
                order.append(name)
            mark = f"${order.index(name) + 1}"
        else:
            order.append(name)
            mark = "?"
        return f"CAST({mark} AS DOUBLE PRECISION)" if name in _NUMBERS else mark

    text = re.sub(r":([a-z_]+)", marker, sql)
    return text, [values[name] for name in order]


async def _settle(row_key: str, rule: Rule, now: float, spent: int, cost: int) -> tuple[float, bool]:
    from tortoise import connections

    fresh = rule.burst - spent - (cost if rule.burst - spent >= cost else 0)
    values = {
        "key": row_key, "now": now, "rate": rule.per_second, "burst": rule.burst, "spent": spent, "cost": cost,
        "fresh": fresh, "fresh_granted": rule.burst - spent >= cost,
    }
    sql, params = _statement(_SETTLE, values)
    # execute_query_dict fetches on both databases (execute_query does not, for an INSERT on asyncpg).
    [row] = await connections.get("default").execute_query_dict(sql, params)
    return float(row["tokens"]), bool(row["granted"])


async def _purge(before: float) -> None:
    from tortoise import connections

    sql, params = _statement("DELETE FROM fair_use_bucket WHERE updated_at < :before", {"before": before})
    await connections.get("default").execute_query(sql, params)


# --- what a document costs ---------------------------------------------------------------------


def expensive_operations(document: DocumentNode, operation_name: str | None, variables: dict | None) -> int:
    """How many expensive fields the operation to run selects at its root."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return 0  # graphql-core refuses it
    operation = operations[0]
    root = "Mutation" if operation.operation.value == "mutation" else "Query"
    defaults = {
        v.variable.name.value: value_from_ast_untyped(v.default_value)
        for v in operation.variable_definitions or ()
        if v.default_value is not None
    }
    values = {**defaults, **(variables or {})}
    count = 0
    for field in _root_fields(operation.selection_set, fragments, set()):
        name = f"{root}.{field.name.value}"
        if name in EXPENSIVE_FIELDS:
            count += 1
        elif name in BULK_LIST_ARGUMENTS:
            for argument in field.arguments or ():
                if argument.name.value in BULK_LIST_ARGUMENTS[name]:
                    if isinstance(argument.value, VariableNode):
                        value = values.get(argument.value.name.value)
                    else:
                        value = value_from_ast_untyped(argument.value, values)
                    if isinstance(value, list) and len(value) > MANY_IDS:
                        count += 1
                        break
    return count


def _root_fields(selection_set: SelectionSetNode, fragments: dict, seen: set[str]) -> Iterator[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _root_fields(fragment.selection_set, fragments, seen)


class ExpensiveBudget(SchemaExtension):
    """After validation and before anything runs: an expensive document takes its operations
    from the session's EXPENSIVE budget, and leaves its place to run beside the others."""

    async def on_execute(self):
        execution = self.execution_context
        context = execution.context
        fair_use = getattr(context, "fair_use", None)
        if fair_use is None or execution.graphql_document is None:
            yield
            return
        count = expensive_operations(execution.graphql_document, execution.operation_name, execution.variables)
        if count:
            await fair_use.take(context.fair_use_key, EXPENSIVE, count)
            if context.fair_use_place is not None:
                context.fair_use_place.release()
        yield
