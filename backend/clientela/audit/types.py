from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from clientela.audit.models import AuditEntry
from clientela.core.pagination import Page
from clientela.graphql.context import Info
from clientela.graphql.pagination import Edge, PageInfo, edges, page_info

LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]


@strawberry.type(name="AuditEntry")
class AuditEntryType:
    id: strawberry.ID
    action: str
    summary: str

    @strawberry.field
    def at(self: AuditEntry) -> dt.datetime:
        return self.created_at

    @strawberry.field
    async def actor(self: AuditEntry, info: Info) -> LazyUser | None:
        return await info.context.loaders.user_by_id.load(self.actor_id) if self.actor_id else None


@strawberry.type
class AuditEntryConnection:
    edges: list[Edge[AuditEntryType]]
    page_info: PageInfo

    @classmethod
    def of(cls, page: Page) -> AuditEntryConnection:
        return cls(edges=edges(page), page_info=page_info(page))
