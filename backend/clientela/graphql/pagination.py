"""The GraphQL side of cursor connections (see core/pagination.py for the queries)."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

from clientela.core.pagination import Page

NodeT = TypeVar("NodeT")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


def asks_total(info) -> bool:
    """Whether the connection the field returns is asked for its totalCount."""
    return any(selection.name == "totalCount" for selection in info.selected_fields[0].selections)


def edges(page: Page) -> list[Edge]:
    return [Edge(cursor=page.cursor(row), node=row) for row in page.rows]


def page_info(page: Page) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        end_cursor=page.cursor(page.rows[-1]) if page.rows else None,
    )
