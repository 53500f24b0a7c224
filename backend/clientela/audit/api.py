from __future__ import annotations

import strawberry

from clientela.audit import services
from clientela.audit.types import AuditEntryConnection
from clientela.graphql.context import Info


@strawberry.type
class Query:
    @strawberry.field(description="Newest first. Admins read all; owners the entries of their clients.")
    async def audit_log(
        self, info: Info, organization_id: strawberry.ID | None = None, first: int | None = None, after: str | None = None
    ) -> AuditEntryConnection:
        return AuditEntryConnection.of(await services.audit_log(info.context.viewer, organization_id, first, after))
