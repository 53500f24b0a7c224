"""The audit log's entries: written by other domains' repositories inside their writes'
transactions, read a page at a time."""

from __future__ import annotations

import uuid

from clientela.audit.models import AuditEntry
from clientela.core.pagination import Page, paginate
from clientela.policy import Viewer


async def add_entry(viewer: Viewer, action: str, summary: str, *, organization_id: uuid.UUID | None = None) -> None:
    await AuditEntry.create(
        workspace_id=viewer.workspace_id,
        organization_id=organization_id,
        actor_id=viewer.user_id,
        action=action,
        summary=summary,
    )


async def entries(
    workspace_id: uuid.UUID, organization_id: uuid.UUID | None, first: int | None, after: str | None
) -> Page:
    """A page of the workspace's entries, newest first; only those about one organization if given."""
    found = AuditEntry.filter(workspace_id=workspace_id)
    if organization_id is not None:
        found = found.filter(organization_id=organization_id)
    return await paginate(found, first, after, newest_first=True)
