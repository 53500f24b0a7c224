"""The audit log's entries: written by other domains' repositories inside their writes'
transactions, read a page at a time."""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from clientela.audit.models import AuditEntry
from clientela.core.pagination import Page, paginate
from clientela.policy import Viewer


def _entry(viewer: Viewer, action: str, summary: str, organization_id: uuid.UUID | None, once_key: str | None = None) -> AuditEntry:
    return AuditEntry(
        workspace_id=viewer.workspace_id,
        organization_id=organization_id,
        actor_id=viewer.user_id,
        action=action,
        summary=summary,
        once_key=once_key,
    )


async def add_entry(viewer: Viewer, action: str, summary: str, *, organization_id: uuid.UUID | None = None) -> None:
    await _entry(viewer, action, summary, organization_id).save()


async def add_entry_once(
    viewer: Viewer, action: str, summary: str, *, organization_id: uuid.UUID | None, once_key: str
) -> bool:
    """An entry written at most once for `once_key` (a unique index), whoever writes it at the
    same time; whether this call wrote it."""
    if await AuditEntry.exists(once_key=once_key):
        return False
    try:
        async with in_transaction():  # a savepoint: a lost race leaves no failed transaction behind
            await _entry(viewer, action, summary, organization_id, once_key).save()
    except IntegrityError:  # someone wrote it first
        return False
    return True


async def entries(
    workspace_id: uuid.UUID, organization_id: uuid.UUID | None, first: int | None, after: str | None
) -> Page:
    """A page of the workspace's entries, newest first; only those about one organization if given."""
    found = AuditEntry.filter(workspace_id=workspace_id)
    if organization_id is not None:
        found = found.filter(organization_id=organization_id)
    return await paginate(found, first, after, newest_first=True)
