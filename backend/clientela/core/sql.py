"""SQL that Tortoise's query builder does not write by itself.

The only module that reaches below Tortoise's public API (a query's `_make_query`, `_db`,
`_fields_for_select_list`, `_choose_db_if_not_chosen`; a model's `_init_from_db` and the `_<fk>`
attribute `select_related` fills): tests/test_sql.py fails loudly, naming the attribute, when an
upgrade of Tortoise changes them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from pypika_tortoise import Dialects
from pypika_tortoise.terms import Parameterizer
from tortoise.expressions import RawSQL, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet, ValuesListQuery, ValuesQuery

from clientela.core.ids import uuid7

MODEL = TypeVar("MODEL", bound=Model)


def _branch_sql(query: ValuesQuery, ctx) -> str:
    query._choose_db_if_not_chosen()
    query._make_query()
    sql = query.query.get_parameterized_sql(ctx)[0]
    return sql[1:-1] if sql.startswith("(") else sql


def _statement_context(query: ValuesQuery):
    """A context for one statement made of several queries: their parameters numbered in turn."""
    query._choose_db_if_not_chosen()
    return query._db.query_class.SQL_CONTEXT.copy(parameterizer=Parameterizer())


async def count_union(*queries: ValuesQuery) -> int:
    """SELECT COUNT(*) FROM (… UNION …): how many distinct rows the branches give together,
    without joining them back to the table they name."""
    first = queries[0]
    ctx = _statement_context(first)
    branches = " UNION ".join(_branch_sql(query, ctx) for query in queries)
    rows = await first._db.execute_query_dict(f"SELECT COUNT(*) AS n FROM ({branches}) AS counted", ctx.parameterizer.values)
    return int(rows[0]["n"])


def _union_statement(queries: Sequence[ValuesListQuery]) -> tuple[str, list]:
    ctx = _statement_context(queries[0])
    width = max(len(query._fields_for_select_list) for query in queries)
    branches = []
    for index, query in enumerate(queries):
        padding = ", NULL" * (width - len(query._fields_for_select_list))
        branches.append(f"SELECT {index} AS branch, b{index}.*{padding} FROM ({_branch_sql(query, ctx)}) AS b{index}")
    return " UNION ALL ".join(branches), ctx.parameterizer.values


async def union_rows(*queries: ValuesListQuery) -> list[tuple]:
    """The rows of several `values_list` queries in one statement (UNION ALL), each as (index of
    its query, *its columns); a query with fewer columns than the widest has its row padded with
    None. Values come as the database gives them (no model conversion), rows in no set order."""
    sql, values = _union_statement(queries)
    _, rows = await queries[0]._db.execute_query(sql, values)
    return [tuple(row) for row in rows]


class PreparedUnion:
    """`union_rows` of the queries `build(*placeholders)` makes, with the statement built once
    per database dialect and run with new values each time: building a statement (Tortoise's
    query building, pypika's SQL) costs more than running a small one, on a path every request
    takes. Each placeholder (a value of the type the query expects, that nothing else in it
    equals) stands for the value given in its place at each run."""

    def __init__(self, build: Callable[..., Sequence[ValuesListQuery]], *placeholders: object) -> None:
        self.build = build
        self.placeholders = placeholders
        self.model = None
        self._statements: dict[str, tuple[str, list, list[int | None]]] = {}

    def _statement(self, dialect: str) -> tuple[str, list, list[int | None]]:
        if dialect not in self._statements:
            queries = self.build(*self.placeholders)
            sql, values = _union_statement(queries)
            # Where each placeholder stands among the values: its index among the placeholders.
            slots = [next((i for i, p in enumerate(self.placeholders) if value == p), None) for value in values]
            missing = set(range(len(self.placeholders))) - set(slots)
            if missing:
                raise ValueError(f"placeholders {sorted(missing)} do not appear in the statement's values")
            self._statements[dialect] = (sql, values, slots)
        return self._statements[dialect]

    async def rows(self, *values: object) -> list[tuple]:
        if self.model is None:
            self.model = self.build(*self.placeholders)[0].model
        db = self.model._meta.db  # the transaction's connection inside one
        sql, fixed, slots = self._statement(db.capabilities.dialect)
        bound = [fixed[i] if slot is None else values[slot] for i, slot in enumerate(slots)]
        _, rows = await db.execute_query(sql, bound)
        return [tuple(row) for row in rows]


def from_row(model: type[MODEL], columns: Sequence[str], values: Sequence) -> MODEL:
    """An instance of `model` from its columns as the database driver gives them (a row of
    `union_rows`), converted as Tortoise converts the rows it reads itself."""
    return model._init_from_db(**dict(zip(columns, values, strict=True)))


def attach(instance: Model, relation: str, related: Model | None) -> None:
    """`instance.<relation>` (a foreign key) answers `related` without a query, as after
    `select_related`."""
    object.__setattr__(instance, f"_{relation}", related)


async def raw_rows(query: ValuesListQuery) -> list[tuple]:
    """The rows of a `values_list` query as the database driver gives them (no model conversion)."""
    ctx = _statement_context(query)
    _, rows = await query._db.execute_query(_branch_sql(query, ctx), ctx.parameterizer.values)
    return rows


class UnionOf(Subquery):
    """`column IN (SELECT … UNION SELECT …)`: each branch can use its own index, where an OR of
    IN-subqueries makes the database scan the whole outer table.

    On PostgreSQL the union is read once into an array and unnested (`IN (SELECT
    unnest(ARRAY(…)))`): its ids then drive the outer query through the primary key. As a
    plain subquery, PostgreSQL guesses its size from the branches' statistics and, when another
    condition of the outer query looks selective (a search's `LIKE '%…%'`), scans the whole
    table to hash-join it: a client's search over 1,655 visible items of a 100,000-item
    workspace took 72 ms that way and 11 ms this way."""

    def __init__(self, *queries: ValuesQuery, each_limited: bool = False) -> None:
        super().__init__(queries[0])
        self.queries = queries
        # A branch with its own ORDER BY … LIMIT must be a derived table to stand in a UNION.
        self.each_limited = each_limited

    def get_sql(self, ctx) -> str:
        branches = []
        for index, query in enumerate(self.queries):
            sql = _branch_sql(query, ctx)
            branches.append(f"SELECT * FROM ({sql}) AS branch{index}" if self.each_limited else sql)
        union = " UNION ".join(branches)
        if ctx.dialect == Dialects.POSTGRESQL:
            return f"(SELECT unnest(ARRAY({union})))"
        return f"({union})"


class FirstOfEach(Subquery):
    """`id IN (the first `count` rows in `order` (an SQL ORDER BY list, core.pagination.Keyset)
    of each `partition` of `query`)`, in one pass over `query` (ROW_NUMBER() OVER (PARTITION BY
    …), SQLite ≥ 3.25 and PostgreSQL): the first page of each of several lists, filtered alike,
    in one statement."""

    def __init__(self, query: QuerySet, partition: str, count: int, order: str = '"id"') -> None:
        numbered = query.annotate(row_number=RawSQL(f'ROW_NUMBER() OVER (PARTITION BY "{partition}" ORDER BY {order})'))
        super().__init__(numbered.values("id", "row_number"))
        self.count = int(count)

    def get_sql(self, ctx) -> str:
        return f"(SELECT numbered.id FROM ({_branch_sql(self.query, ctx)}) AS numbered WHERE numbered.row_number <= {self.count})"


async def next_number(model, keys: dict[str, object], column: str) -> int:
    """Adds one to `column` of `model`'s row of `keys` (a unique key; the row is made at 1 when
    there is none) and returns it, in one statement (INSERT … ON CONFLICT DO UPDATE … RETURNING,
    SQLite ≥ 3.35 and PostgreSQL), on the connection of the transaction under way: the row
    stays locked until it ends, so concurrent transactions each get a number of their own."""
    meta = model._meta
    db = meta.db
    numbered = db.capabilities.dialect == "postgres"
    names = ["id", "created_at", *keys, column]
    fields = [meta.fields_map[meta.pk_attr], meta.fields_map["created_at"]]
    fields += [meta.fields_map[name] for name in keys]
    values = [f.to_db_value(v, model) for f, v in zip(fields, [uuid7(), datetime.now(UTC), *keys.values()], strict=True)]
    quoted = [f'"{meta.fields_map[name].source_field or name}"' for name in names]
    markers = ", ".join(f"${n}" if numbered else "?" for n in range(1, len(names)))
    table = meta.db_table
    sql = (
        f'INSERT INTO "{table}" ({", ".join(quoted)}) VALUES ({markers}, 1) '
        f'ON CONFLICT ({", ".join(quoted[2:-1])}) DO UPDATE SET {quoted[-1]} = "{table}".{quoted[-1]} + 1 '
        f"RETURNING {quoted[-1]} AS number"
    )
    [row] = await db.execute_query_dict(sql, values)
    return int(row["number"])


async def update_each(model, fields: list[str], rows: list[tuple]) -> None:
    """For each (primary key, *values of `fields`) of `rows`, those columns of `model`'s row
    written, with one prepared UPDATE run for them all (executemany). Tortoise's bulk_update
    writes one CASE per field over the whole batch instead, whose cost grows with the square of
    the batch."""
    if not rows:
        return
    meta = model._meta
    db = meta.db
    numbered = db.capabilities.dialect == "postgres"

    def marker(n: int) -> str:
        return f"${n}" if numbered else "?"

    columns = [meta.fields_map[name] for name in fields]
    assignments = ", ".join(f'"{c.source_field or c.model_field_name}" = {marker(i)}' for i, c in enumerate(columns, 1))
    sql = f'UPDATE "{meta.db_table}" SET {assignments} WHERE "{meta.db_pk_column}" = {marker(len(columns) + 1)}'
    pk = meta.fields_map[meta.pk_attr]
    values = [
        [c.to_db_value(v, model) for c, v in zip(columns, rest, strict=True)] + [pk.to_db_value(key, model)]
        for key, *rest in rows
    ]
    await db.execute_many(sql, values)
