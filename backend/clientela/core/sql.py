"""SQL that Tortoise's query builder does not write by itself."""

from __future__ import annotations

from tortoise.expressions import Subquery
from tortoise.queryset import ValuesQuery


class UnionOf(Subquery):
    """`column IN (SELECT … UNION SELECT …)`: each branch can use its own index, where an OR of
    IN-subqueries makes the database scan the whole outer table."""

    def __init__(self, *queries: ValuesQuery) -> None:
        super().__init__(queries[0])
        self.queries = queries

    def get_sql(self, ctx) -> str:
        branches = []
        for query in self.queries:
            query._choose_db_if_not_chosen()
            query._make_query()
            sql = query.query.get_parameterized_sql(ctx)[0]
            branches.append(sql[1:-1] if sql.startswith("(") else sql)
        return "(" + " UNION ".join(branches) + ")"
