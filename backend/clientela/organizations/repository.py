"""Organizations and their departments as Tortoise reads and writes them; lookups go through
the policy's organizations_visible."""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from clientela import policy
from clientela.audit import repository as audit
from clientela.core.ids import parse_id
from clientela.core.lookup import fetch_all_visible, fetch_visible
from clientela.core.pagination import ROOT_LIST_LIMIT
from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.policy import Viewer


async def organization(viewer: Viewer, organization_id: object) -> Organization:
    return await fetch_visible(Organization, policy.organizations_visible(viewer), organization_id, "Organization")


async def organizations(viewer: Viewer, organization_ids: list) -> list[Organization]:
    """All or nothing: one unknown or invisible id is NOT_FOUND."""
    return await fetch_all_visible(Organization, policy.organizations_visible(viewer), organization_ids, "Organization")


async def visible_organizations(viewer: Viewer, kind: OrganizationKind | None) -> list[Organization]:
    query = Organization.filter(policy.organizations_visible(viewer))
    if kind is not None:
        query = query.filter(kind=kind)
    return await query.order_by("name", "id").limit(ROOT_LIST_LIMIT)


async def create_organization(
    viewer: Viewer, *, name: str, kind: OrganizationKind, language: str | None, owner_id: uuid.UUID | None
) -> Organization:
    return await Organization.create(
        workspace_id=viewer.workspace_id, name=name, kind=kind, language=language, owner_id=owner_id
    )


async def update_organization(viewer: Viewer, organization: Organization, changes: dict, *, kind_changes: bool) -> None:
    """Writes `changes` (column → value) to the organization; a change of kind goes into the
    audit log in the same transaction."""
    async with in_transaction():
        if kind_changes:
            await audit.add_entry(
                viewer, "organization.kind", f"{organization.name} is now {changes['kind'].value}", organization_id=organization.id
            )
        if changes:
            await Organization.filter(id=organization.id).update(**changes)
            organization.update_from_dict(changes)


async def create_department(organization: Organization, name: str) -> Department:
    return await Department.create(organization=organization, name=name)


async def department_of(organization: Organization, department_id: object) -> Department | None:
    """The organization's department of that id; None if it has none such."""
    return await Department.get_or_none(id=parse_id(department_id), organization_id=organization.id)
