"""Who is asking: the policy's Viewer for a signed-in person, read fresh on every request so
that a revoked share or a changed organization kind takes effect at once."""

from __future__ import annotations

import uuid

from clientela.core.ids import as_uuid
from clientela.core.sql import union_rows
from clientela.people.models import User
from clientela.policy import ANONYMOUS, ClientAccess, Viewer, ViewerKind, client_holdings, kind_of, strongest_access
from clientela.portal.settings import settings_of
from clientela.sharing.models import ShareRole


async def viewer_for(user: User | None) -> Viewer:
    """`user` comes with its workspace and organization (accounts' token lookup reads them)."""
    if user is None:
        return ANONYMOUS
    workspace = user.workspace
    organization = user.organization
    kind = kind_of(user, organization)
    access: dict[uuid.UUID, ClientAccess] = {}
    if kind is not ViewerKind.CLIENT:
        # Live shares held and client organizations owned, in one statement.
        shares, owned = client_holdings([user.id])
        rows = await union_rows(shares.values_list("organization_id", "role"), owned.values_list("id"))
        for branch, org_id, role in rows:
            held = ClientAccess(ShareRole(role).value) if branch == 0 else ClientAccess.OWNER
            access[as_uuid(org_id)] = strongest_access(access.get(as_uuid(org_id)), held)
    return Viewer(
        kind=kind,
        user=user,
        workspace_id=workspace.id,
        organization_id=organization.id if organization else None,
        portal=settings_of(workspace.portal_settings),
        client_access=access,
        visibility_generation=workspace.visibility_generation,
    )
