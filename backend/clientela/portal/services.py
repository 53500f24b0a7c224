"""The client portal's settings, per workspace, changed by admins at run time."""

from __future__ import annotations

from dataclasses import replace

from clientela import policy
from clientela.audit import services as audit
from clientela.core.errors import BadUserInput
from clientela.policy import Action, Viewer
from clientela.portal import repository
from clientela.portal.settings import PortalScope, PortalSettings, TaskField


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
    can_resolve_items: bool | None = None,
) -> PortalSettings:
    policy.require(viewer, Action.MANAGE_PORTAL_SETTINGS)
    current = await repository.stored_settings(viewer.workspace_id)
    changes: dict = {}
    if scopes is not None:
        changes["scopes"] = frozenset(scopes)
    if visible_task_fields is not None:
        changes["visible_task_fields"] = frozenset(visible_task_fields)
    switches = (
        ("can_submit_items", can_submit_items),
        ("can_post_messages", can_post_messages),
        ("can_resolve_items", can_resolve_items),
    )
    for key, value in switches:
        if value is not None:
            changes[key] = value
    if not changes:
        raise BadUserInput("Give at least one setting to change.")
    updated = replace(current, **changes)
    await repository.store_settings(viewer.workspace_id, updated)
    described = ", ".join(f"{k}: {_describe(v)}" for k, v in changes.items())
    await audit.record(viewer, "portal.settings", f"Portal settings changed ({described})")
    return updated


def _describe(value: object) -> str:
    if isinstance(value, frozenset):
        return " ".join(sorted(value)) or "none"
    return str(value).lower()
