"""The portal settings as each workspace stores them (a document on the workspace's row)."""

from __future__ import annotations

import uuid

from clientela.portal.settings import PortalSettings, settings_of
from clientela.workspaces.models import Workspace


async def stored_settings(workspace_id: uuid.UUID) -> PortalSettings:
    """As stored now, not as the request's viewer read them at sign-in."""
    return settings_of((await Workspace.get(id=workspace_id)).portal_settings)


async def store_settings(workspace_id: uuid.UUID, settings: PortalSettings) -> None:
    await Workspace.filter(id=workspace_id).update(portal_settings=settings.to_document())
