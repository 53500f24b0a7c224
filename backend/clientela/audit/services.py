"""The audit log: who shared, revoked, invited, changed privacy or portal settings, and when."""

from __future__ import annotations

import uuid

from clientela import policy
from clientela.audit import repository
from clientela.core.pagination import Page
from clientela.organizations import repository as organizations
from clientela.policy import Action, Viewer


async def record(viewer: Viewer, action: str, summary: str, *, organization_id: uuid.UUID | None = None) -> None:
    await repository.add_entry(viewer, action, summary, organization_id=organization_id)


async def audit_log(viewer: Viewer, organization_id: object | None, first: int | None, after: str | None) -> Page:
    """Admins read everything; owners read the entries about their own clients."""
    if organization_id is not None:
        organization = await organizations.organization(viewer, organization_id)
        policy.require(viewer, Action.READ_AUDIT_LOG, organization_id=organization.id)
        return await repository.entries(viewer.workspace_id, organization.id, first, after)
    policy.require(viewer, Action.READ_AUDIT_LOG)
    return await repository.entries(viewer.workspace_id, None, first, after)
