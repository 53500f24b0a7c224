"""Who is asking: the policy's Viewer for a signed-in person, read fresh on every request so
that a revoked share or a changed organization kind takes effect at once."""

from __future__ import annotations

import uuid

from clientela.core.ids import as_uuid
from clientela.core.sql import union_rows
from clientela.people.models import User
from clientela.policy import (
    ANONYMOUS,
    ClientAccess,
    Viewer,
    ViewerKind,
    client_holdings,
    firms_of,
    kind_of,
    strongest_access,
)
from clientela.portal.settings import settings_of
from clientela.sharing.models import ShareRole


async def viewer_for(user: User | None, holdings: list[tuple] | None = None) -> Viewer:
    """`user` comes with its workspace and organization (accounts' token lookup reads them);
    `holdings`, when sign-in has read them with the person (accounts.repository.SignedIn), are
    not read again."""
    if user is None:
        return ANONYMOUS
    workspace = user.workspace
    organization = user.organization
    kind = kind_of(user, organization)
    access: dict[uuid.UUID, ClientAccess] = {}
    partner_ids: set[uuid.UUID] = set()
    if kind is not ViewerKind.CLIENT:
        if holdings is None:
            # Live shares held (own and the firms'), client organizations owned and the partner
            # firms one is in, in one statement.
            held = client_holdings([user.id])
            holdings = await union_rows(
                held.shares.values_list("organization_id", "role"),
                held.firm_shares.values_list("organization_id", "role"),
                held.owned.values_list("id"),
                firms_of([user.id]).values_list("partner_id"),
            )
        for branch, org_id, *role in holdings:
            if branch == 3:
                partner_ids.add(as_uuid(org_id))
                continue
            holding = ClientAccess.OWNER if branch == 2 else ClientAccess(ShareRole(role[0]).value)
            access[as_uuid(org_id)] = strongest_access(access.get(as_uuid(org_id)), holding)
    return Viewer(
        kind=kind,
        user=user,
        workspace_id=workspace.id,
        organization_id=organization.id if organization else None,
        portal=settings_of(workspace.portal_settings),
        client_access=access,
        partner_ids=frozenset(partner_ids),
        visibility_generation=workspace.visibility_generation,
    )
