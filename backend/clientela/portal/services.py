"""The client portal's settings, per workspace, changed by admins at run time."""

from __future__ import annotations

from dataclasses import replace

from clientela import policy
from clientela.audit import services as audit
from clientela.core.errors import BadUserInput
from clientela.policy import Action, Viewer
from clientela.portal.settings import (
    PortalScope,
    PortalSettings,
    TaskField,
    settings_of,
)
from clientela.workspaces.models import Workspace


async def portal_settings(viewer: Viewer) -> PortalSettings:
    policy.require_signed_in(viewer)
    return viewer.portal


async def update_portal_settings(
    viewer: Viewer,
    *,
    scopes: list[PortalScope] | None,
    visible_task_fields: list[TaskField] | None,
    can_submit_items: bool | None,
    can_post_messages: bool | None,
) -> PortalSettings:
    await policy.require(viewer, Action.MANAGE_PORTAL_SETTINGS)
    workspace = await Workspace.get(id=viewer.workspace_id)
    current = settings_of(workspace.portal_settings)
    changes: dict = {}
    if scopes is not None:
        changes["scopes"] = frozenset(scopes)
    if visible_task_fields is not None:
        changes["visible_task_fields"] = frozenset(visible_task_fields)
    for key, value in (("can_submit_items", can_submit_items), ("can_post_messages", can_post_messages)):
        if value is not None:
            changes[key] = value
    if not changes:
        raise BadUserInput("Give at least one setting to change.")
    updated = replace(current, **changes)
    workspace.portal_settings = updated.to_document()
    await workspace.save(update_fields=["portal_settings"])
    described = ", ".join(f"{k}: {_describe(v)}" for k, v in changes.items())
    await audit.record(viewer, "portal.settings", f"Portal settings changed ({described})")
    return updated


def _describe(value: object) -> str:
    if isinstance(value, frozenset):
        return " ".join(sorted(value)) or "none"
    return str(value).lower()
