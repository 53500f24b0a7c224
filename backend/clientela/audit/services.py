"""The audit log: who shared, revoked, invited, changed privacy or portal settings, and when."""

from __future__ import annotations

import uuid

from clientela import policy
from clientela.audit.models import AuditEntry
from clientela.core.lookup import fetch_visible
from clientela.core.pagination import Page, paginate
from clientela.organizations.models import Organization
from clientela.policy import Action, Viewer


async def record(viewer: Viewer, action: str, summary: str, *, organization_id: uuid.UUID | None = None) -> None:
    await AuditEntry.create(
        workspace_id=viewer.workspace_id,
        organization_id=organization_id,
        actor_id=viewer.user_id,
        action=action,
        summary=summary,
    )


async def audit_log(viewer: Viewer, organization_id: object | None, first: int | None, after: str | None) -> Page:
    """Admins read everything; owners read the entries about their own clients."""
    entries = AuditEntry.filter(workspace_id=viewer.workspace_id)
    if organization_id is not None:
        organization = await fetch_visible(
            Organization, policy.organizations_visible(viewer), organization_id, "Organization"
        )
        await policy.require(viewer, Action.READ_AUDIT_LOG, organization_id=organization.id)
        entries = entries.filter(organization_id=organization.id)
    else:
        await policy.require(viewer, Action.READ_AUDIT_LOG)
    return await paginate(entries, first, after, newest_first=True)
