"""Workspace-wide bookkeeping, for the other domains' repositories."""

from __future__ import annotations

import uuid

from tortoise.expressions import F

from clientela.workspaces.models import Workspace


async def visibility_changed(workspace_id: uuid.UUID) -> None:
    """Called by repositories inside the transaction of any write that changes which tasks a client can see
    (tasks, requesters, followers, project followers, a person's organization)."""
    await Workspace.filter(id=workspace_id).update(visibility_generation=F("visibility_generation") + 1)
