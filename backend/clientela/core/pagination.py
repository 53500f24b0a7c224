"""Cursor connections. Every list that can grow goes through `paginate`: keyset pagination on
the time-ordered primary key, so the order is stable and a page costs one indexed query."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from clientela.core.errors import BadUserInput

MAX_PAGE = 100
DEFAULT_PAGE = 50
# Lists without paging are bounded: nested ones (a task's messages, an organization's members…)
# at LIST_LIMIT items, the directory lists at the root of a query at ROOT_LIST_LIMIT.
LIST_LIMIT = 100
ROOT_LIST_LIMIT = 1000


def encode_cursor(row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(row_id.bytes).decode().rstrip("=")


def id_cursor(row) -> str:
    return encode_cursor(row.id)


@dataclass
class Page:
    rows: list
    has_next_page: bool
    total_count: Callable[[], Awaitable[int]]
    # A row's cursor: its id, or for a list sorted by a column, that column's value and its id.
    cursor: Callable[[Any], str] = id_cursor


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        return uuid.UUID(bytes=base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise BadUserInput("The cursor is not valid.") from None


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE}.")
    return first


async def paginate(
    query: QuerySet,
    first: int | None,
    after: str | None,
    *,
    newest_first: bool = False,
    window: Callable[[uuid.UUID | None, int], Q] | None = None,
    count: Callable[[], Awaitable[int]] | None = None,
) -> Page:
    """A page of `query` by id. `window(after_id, n)`, if given, narrows the rows to some that
    include the next n, so that the database need not look past them; `count`, if given,
    counts the whole list a cheaper way."""
    size = page_size(first)
    total_query = query
    last_id = decode_cursor(after) if after else None
    if last_id is not None:
        query = query.filter(id__lt=last_id) if newest_first else query.filter(id__gt=last_id)
    if window is not None:
        query = query.filter(window(last_id, size + 1))
    rows = await query.order_by("-id" if newest_first else "id").limit(size + 1)
    return Page(rows=rows[:size], has_next_page=len(rows) > size, total_count=count or total_query.count)


@dataclass(frozen=True)
class Keyset:
    """The order of a list for keyset pagination: by `column` (a moment or a date; None: the id
    alone), then by id, ascending or `descending`. A `nullable` column's rows without a value
    come last (ascending only). A cursor holds the row's place in that order: its id, or the
    column's name, its value and its id, so that a cursor of another order is refused."""

    column: str | None = None
    descending: bool = False
    nullable: bool = False
    parse: Callable[[str], Any] = dt.datetime.fromisoformat

    def ordered(self, query: QuerySet) -> QuerySet:
        if self.column is None:
            return query.order_by("-id" if self.descending else "id")
        sign = "-" if self.descending else ""
        if self.nullable:  # SQLite sorts NULL first, PostgreSQL last: said outright
            query = query.annotate(keyset_no_value=RawSQL(f'CASE WHEN "{self.column}" IS NULL THEN 1 ELSE 0 END'))
            return query.order_by("keyset_no_value", self.column, "id")
        return query.order_by(f"{sign}{self.column}", f"{sign}id")

    def sql_order(self) -> str:
        """The same order as an SQL ORDER BY list (for a window function)."""
        direction = " DESC" if self.descending else ""
        columns = [f'"{self.column}"{direction}'] if self.column else []
        if self.nullable:
            columns.insert(0, f'("{self.column}" IS NULL)')
        return ", ".join(columns + [f'"id"{direction}'])

    def cursor(self, row) -> str:
        if self.column is None:
            return encode_cursor(row.id)
        value = getattr(row, self.column)
        text = f"{self.column}|{'' if value is None else value.isoformat()}|{row.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, cursor: str) -> tuple[Any, uuid.UUID]:
        """(the column's value, the id) of a cursor of this order; BAD_USER_INPUT otherwise."""
        if self.column is None:
            return None, decode_cursor(cursor)
        try:
            column, value, row_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
            if column != self.column or (value == "" and not self.nullable):
                raise ValueError(column)
            return (self.parse(value) if value else None), uuid.UUID(row_id)
        except ValueError:
            raise BadUserInput("The cursor is not valid.") from None

    def after(self, cursor: str) -> Q:
        """The rows that come after the cursor's row in this order."""
        value, last_id = self.decode(cursor)
        later = "lt" if self.descending else "gt"
        if self.column is None:
            return Q(**{f"id__{later}": last_id})
        if value is None:  # among the rows without a value, which come last
            return Q(**{f"{self.column}__isnull": True, "id__gt": last_id})
        after = Q(**{f"{self.column}__{later}": value}) | Q(**{self.column: value, f"id__{later}": last_id})
        return after | Q(**{f"{self.column}__isnull": True}) if self.nullable else after


BY_ID = Keyset()


async def paginate_keyset(
    query: QuerySet,
    keyset: Keyset,
    first: int | None,
    after: str | None,
    *,
    counted: bool = False,
    count_apart: bool = False,
) -> Page:
    """A page of `query` in the order of `keyset`, after the cursor `after`. `counted`: the total
    will be asked for, and is read in the page's statement. By default the first page counts
    the whole list with a window over every row the page's sort reads anyway; `count_apart`, for
    a list read in its order from an index (where a window would read every row, the page only
    its own), counts it in a subquery of the page's statement, on every page."""
    size = page_size(first)
    total_query = query
    if after:
        query = query.filter(keyset.after(after))
    if counted and count_apart:
        query = query.annotate(list_total=Subquery(total_query.annotate(list_total=Count("id")).values("list_total")))
    elif counted and not after:
        query = query.annotate(list_total=RawSQL("COUNT(*) OVER ()"))
    rows = await keyset.ordered(query).limit(size + 1)
    total_count = total_query.count
    if counted and (not after or (count_apart and rows)):  # past the last row, a count of its own
        total = rows[0].list_total if rows else 0

        async def total_count() -> int:
            return total

    return Page(rows=rows[:size], has_next_page=len(rows) > size, total_count=total_count, cursor=keyset.cursor)
