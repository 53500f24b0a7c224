"""Organizations (own teams and clients) and their departments."""

from __future__ import annotations

from clientela import policy
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.organizations import repository
from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.policy import Action, Viewer


async def create_organization(viewer: Viewer, *, name: str, kind: OrganizationKind, language: str | None) -> Organization:
    name = validation.name(name)
    language = validation.language(language)
    policy.require(viewer, policy.create_organization_action(kind))
    return await repository.create_organization(
        viewer,
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
    policy.require(viewer, Action.MANAGE_ORGANIZATION, organization_id=organization.id)
    kind_changes = kind is not None and kind is not organization.kind
    if kind_changes:
        policy.require_kind_change(viewer, organization, kind)
    await repository.update_organization(viewer, organization, changes, kind_changes=kind_changes)
    return organization


async def create_department(viewer: Viewer, organization_id: object, name: str) -> Department:
    organization = await get_organization(viewer, organization_id)
    name = validation.name(name)
    policy.require(viewer, Action.MANAGE_ORGANIZATION, organization_id=organization.id)
    return await repository.create_department(organization, name)


async def get_organization(viewer: Viewer, organization_id: object) -> Organization:
    return await repository.organization(viewer, organization_id)


async def list_organizations(viewer: Viewer, kind: OrganizationKind | None) -> list[Organization]:
    return await repository.visible_organizations(viewer, kind)


async def get_client(viewer: Viewer, client_id: object) -> Organization:
    """A visible organization that may be a project's client."""
    organization = await get_organization(viewer, client_id)
    if organization.kind is not OrganizationKind.CLIENT:
        raise BadUserInput("Only client organizations can be a project's client.", field="client_id")
    return organization


async def department_of(organization: Organization, department_id: object | None) -> Department | None:
    if department_id is None:
        return None
    department = await repository.department_of(organization, department_id)
    if department is None:
        raise BadUserInput("The department does not belong to this organization.", field="department_id")
    return department
