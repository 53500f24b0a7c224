"""Organizations (own teams and clients) and their departments."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from clientela import policy
from clientela.audit import services as audit
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.core.ids import parse_id
from clientela.core.lookup import fetch_visible
from clientela.core.pagination import ROOT_LIST_LIMIT
from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.policy import Action, Viewer


async def create_organization(viewer: Viewer, *, name: str, kind: OrganizationKind, language: str | None) -> Organization:
    name = validation.name(name)
    language = validation.language(language)
    action = Action.CREATE_CLIENT if kind is OrganizationKind.CLIENT else Action.CREATE_INTERNAL_ORGANIZATION
    await policy.require(viewer, action)
    return await Organization.create(
        workspace_id=viewer.workspace_id,
        name=name,
        kind=kind,
        language=language,
        # Whoever creates a client organization owns it: it is one of "my clients".
        owner_id=viewer.user_id if kind is OrganizationKind.CLIENT else None,
    )


async def update_organization(
    viewer: Viewer, organization_id: object, *, name: str | None, kind: OrganizationKind | None, language: str | None
) -> Organization:
    organization = await get_organization(viewer, organization_id)
    changes: dict = {}
    if name is not None:
        changes["name"] = validation.name(name)
    if language is not None:
        changes["language"] = validation.language(language)
    if kind is not None:
        changes["kind"] = kind
    await policy.require(viewer, Action.MANAGE_ORGANIZATION, organization_id=organization.id)
    kind_changes = kind is not None and kind is not organization.kind
    if kind_changes:
        await policy.require(viewer, Action.CHANGE_ORGANIZATION_KIND)
    async with in_transaction():
        if kind_changes:
            await audit.record(
                viewer, "organization.kind", f"{organization.name} is now {kind.value}", organization_id=organization.id
            )
        if changes:
            await Organization.filter(id=organization.id).update(**changes)
            organization.update_from_dict(changes)
    return organization


async def create_department(viewer: Viewer, organization_id: object, name: str) -> Department:
    organization = await get_organization(viewer, organization_id)
    name = validation.name(name)
    await policy.require(viewer, Action.MANAGE_ORGANIZATION, organization_id=organization.id)
    return await Department.create(organization=organization, name=name)


async def get_organization(viewer: Viewer, organization_id: object) -> Organization:
    return await fetch_visible(Organization, policy.organizations_visible(viewer), organization_id, "Organization")


async def list_organizations(viewer: Viewer, kind: OrganizationKind | None) -> list[Organization]:
    query = Organization.filter(policy.organizations_visible(viewer))
    if kind is not None:
        query = query.filter(kind=kind)
    return await query.order_by("name", "id").limit(ROOT_LIST_LIMIT)


async def get_client(viewer: Viewer, client_id: object) -> Organization:
    """A visible organization that may be a project's client."""
    organization = await get_organization(viewer, client_id)
    if organization.kind is not OrganizationKind.CLIENT:
        raise BadUserInput("Only client organizations can be a project's client.", field="client_id")
    return organization


async def department_of(organization: Organization, department_id: object | None) -> Department | None:
    if department_id is None:
        return None
    department = await Department.get_or_none(id=parse_id(department_id), organization_id=organization.id)
    if department is None:
        raise BadUserInput("The department does not belong to this organization.", field="department_id")
    return department

