"""The GraphQL side of cursor connections (see core/pagination.py for the queries)."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

from clientela.core.pagination import Page, encode_cursor

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


def edges(page: Page) -> list[Edge]:
    return [Edge(cursor=encode_cursor(row.id), node=row) for row in page.rows]


def page_info(page: Page) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        end_cursor=encode_cursor(page.rows[-1].id) if page.rows else None,
    )
