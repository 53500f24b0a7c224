"""SQL that Tortoise's query builder does not write by itself."""

from __future__ import annotations

from tortoise.expressions import Subquery
from tortoise.queryset import ValuesQuery


class UnionOf(Subquery):
    """`column IN (SELECT … UNION SELECT …)`: each branch can use its own index, where an OR of
    IN-subqueries makes the database scan the whole outer table."""

    def __init__(self, *queries: ValuesQuery, each_limited: bool = False) -> None:
        super().__init__(queries[0])
        self.queries = queries
        # A branch with its own ORDER BY … LIMIT must be a derived table to stand in a UNION.
        self.each_limited = each_limited

    def get_sql(self, ctx) -> str:
        branches = []
        for index, query in enumerate(self.queries):
            query._choose_db_if_not_chosen()
            query._make_query()
            sql = query.query.get_parameterized_sql(ctx)[0]
            sql = sql[1:-1] if sql.startswith("(") else sql
            branches.append(f"SELECT * FROM ({sql}) AS branch{index}" if self.each_limited else sql)
        return "(" + " UNION ".join(branches) + ")"
