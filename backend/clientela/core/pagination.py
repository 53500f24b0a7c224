"""Cursor connections. Every list that can grow goes through `paginate`: keyset pagination on
the time-ordered primary key, so the order is stable and a page costs one indexed query."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
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


def sorted_cursor(column: str) -> Callable[[Any], str]:
    def cursor(row) -> str:
        return base64.urlsafe_b64encode(f"{getattr(row, column).isoformat()}|{row.id}".encode()).decode().rstrip("=")

    return cursor


def decode_sorted_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    try:
        moment, row_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        return dt.datetime.fromisoformat(moment), uuid.UUID(row_id)
    except ValueError:
        raise BadUserInput("The cursor is not valid.") from None


def after_sorted(column: str, after: str) -> Q:
    """The rows that come after the cursor `after` in the order (`column`, id)."""
    moment, last_id = decode_sorted_cursor(after)
    return Q(**{f"{column}__gt": moment}) | Q(**{column: moment, "id__gt": last_id})


async def paginate_by(query: QuerySet, column: str, first: int | None, after: str | None) -> Page:
    """A page of `query` by (`column`, id), soonest first, for a moment `column` that is never
    null in `query`: keyset pagination whose cursors hold both."""
    size = page_size(first)
    total_query = query
    if after:
        query = query.filter(after_sorted(column, after))
    rows = await query.order_by(column, "id").limit(size + 1)
    return Page(rows=rows[:size], has_next_page=len(rows) > size, total_count=total_query.count, cursor=sorted_cursor(column))
