from __future__ import annotations

import strawberry


@strawberry.type(name="Workspace")
class WorkspaceType:
    id: strawberry.ID
    name: str
    currency: str
    language: str
