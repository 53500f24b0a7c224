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
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Iterator
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
    """Takes a document's expensive operations from the session's EXPENSIVE budget, after
    validation and before anything runs."""

    async def on_execute(self):
        execution = self.execution_context
        context = execution.context
        fair_use = getattr(context, "fair_use", None)
        if fair_use is not None and execution.graphql_document is not None:
            count = expensive_operations(execution.graphql_document, execution.operation_name, execution.variables)
            if count:
                await fair_use.take(context.fair_use_key, EXPENSIVE, count)
        yield
