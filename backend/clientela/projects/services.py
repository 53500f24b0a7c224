"""Projects: creation, settings, clients, members and client followers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from clientela import policy
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.core.values import NOT_GIVEN, Maybe, given
from clientela.organizations import repository as organizations_repository
from clientela.organizations import services as organizations
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people import repository as people_repository
from clientela.people.models import User
from clientela.policy import Action, Viewer, ViewerKind
from clientela.projects import repository
from clientela.projects.models import Project


async def membership(viewer: Viewer, action: Action, project: Project) -> bool:
    """Whether the viewer is a member of `project`, read only where the policy needs it."""
    return policy.membership_matters(viewer, action) and await repository.is_member(viewer, project)


async def require_on_project(viewer: Viewer, action: Action, project: Project) -> None:
    policy.require(viewer, action, project=project, project_member=await membership(viewer, action, project))


async def require_removal(viewer: Viewer, project: Project, user_ids: list) -> None:
    member = await membership(viewer, Action.GRANT_PROJECT_ACCESS, project)
    policy.require_removal(viewer, project, user_ids, project_member=member)


async def get_project(viewer: Viewer, project_id: object) -> Project:
    return await repository.project(viewer, project_id)


async def get_managed_project(viewer: Viewer, project_id: object) -> Project:
    project = await get_project(viewer, project_id)
    await require_on_project(viewer, Action.MANAGE_PROJECT, project)
    return project


async def list_projects(viewer: Viewer, client_id: object | None) -> list[Project]:
    if client_id is None:
        return await repository.visible_projects(viewer, None)
    client = await organizations.get_organization(viewer, client_id)
    return await repository.visible_projects(viewer, client.id)


async def _client_for(viewer: Viewer, client_id: object | None) -> Organization | None:
    """The client a project may be given: a visible CLIENT organization the viewer may create
    projects for. None, a project of no client, only who may create those: a client's CSR
    taking the client away would otherwise turn its project into one outside every share."""
    if client_id is None:
        policy.require(viewer, Action.CREATE_PROJECT)
        return None
    client = await organizations.get_client(viewer, client_id)
    policy.require(viewer, Action.CREATE_PROJECT, organization_id=client.id)
    return client


async def create_project(
    viewer: Viewer,
    *,
    name: str,
    description: str | None,
    client_id: object | None,
    budget: Decimal | None,
    hourly_rate: Decimal | None,
    key: str | None = None,
) -> Project:
    name = validation.name(name)
    key = validation.project_key(key)
    description = validation.text(description)
    budget = validation.money(budget, "budget")
    hourly_rate = validation.money(hourly_rate, "hourly_rate")
    client = await _client_for(viewer, client_id)
    return await repository.create_project(
        viewer,
        name=name,
        description=description,
        client=client,
        budget=budget,
        hourly_rate=hourly_rate,
        key=key,
        creator_joins=viewer.kind in (ViewerKind.ADMIN, ViewerKind.STAFF),
    )


@dataclass
class ProjectChanges:
    """Only the fields given change; `client_id=None` takes the client away."""

    name: Maybe[str | None] = NOT_GIVEN
    description: Maybe[str | None] = NOT_GIVEN
    client_id: Maybe[object | None] = NOT_GIVEN
    budget: Maybe[Decimal | None] = NOT_GIVEN
    hourly_rate: Maybe[Decimal | None] = NOT_GIVEN
    key: Maybe[str | None] = NOT_GIVEN


async def update_project(viewer: Viewer, project_id: object, changes: ProjectChanges) -> Project:
    project = await get_managed_project(viewer, project_id)
    values: dict = {}
    if given(changes.name):
        values["name"] = validation.name(changes.name)
    if given(changes.description):
        values["description"] = validation.text(changes.description)
    if given(changes.budget):
        values["budget"] = validation.money(changes.budget, "budget")
    if given(changes.hourly_rate):
        values["hourly_rate"] = validation.money(changes.hourly_rate, "hourly_rate")
    if given(changes.key):
        values["key"] = validation.project_key(changes.key)
    client = None
    if given(changes.client_id):
        client = await _client_for(viewer, changes.client_id)
        values["client_id"] = client.id if client else None
    await repository.update_project(viewer, project, values, client)
    return project


async def assign_client_to_projects(viewer: Viewer, client_id: object, project_ids: list) -> list[Project]:
    """All or nothing: one unknown, invisible or unmanageable project and none changes."""
    if not project_ids:
        raise BadUserInput("Name at least one project.", field="project_ids")
    client = await _client_for(viewer, client_id)
    projects = await repository.projects(viewer, project_ids)
    for project in projects:
        await require_on_project(viewer, Action.MANAGE_PROJECT, project)
    await repository.assign_client(viewer, projects, client)
    return projects


async def _granting_project(viewer: Viewer, project_id: object) -> Project:
    project = await get_project(viewer, project_id)
    await require_on_project(viewer, Action.GRANT_PROJECT_ACCESS, project)
    return project


async def add_members(viewer: Viewer, project_id: object, user_ids: list) -> Project:
    project = await _granting_project(viewer, project_id)
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    people = await people_repository.visible_people(viewer, user_ids)
    if await repository.any_client_person(people):
        raise BadUserInput("Clients follow projects instead of joining them; use followProject.", field="user_ids")
    await repository.add_members(viewer, project, people)
    return project


async def remove_members(viewer: Viewer, project_id: object, user_ids: list) -> Project:
    project = await get_project(viewer, project_id)
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    await require_removal(viewer, project, user_ids)
    people = await repository.people_or_members(viewer, project, user_ids)
    await repository.remove_members(viewer, project, people)
    return project


async def add_member_rows(project: Project, people: list[User]) -> list[User]:
    """For invitations (sharing.services), inside their transaction; returns those who were
    not members yet."""
    return await repository.add_member_rows(project, people)


async def _followers(viewer: Viewer, user_ids: list | None, organization_ids: list | None) -> tuple[list, list]:
    if not user_ids and not organization_ids:
        raise BadUserInput("Name at least one person or organization.", field="user_ids")
    people = await people_repository.visible_people(viewer, user_ids or [])
    orgs = await organizations_repository.organizations(viewer, organization_ids or [])
    if any(org.kind is not OrganizationKind.CLIENT for org in orgs):
        raise BadUserInput("Only client organizations can follow a project.", field="organization_ids")
    return people, orgs


async def follow(viewer: Viewer, project_id: object, user_ids: list | None, organization_ids: list | None) -> Project:
    """Share a project with client people or whole client organizations (including the people
    who join the organization later)."""
    project = await _granting_project(viewer, project_id)
    people, orgs = await _followers(viewer, user_ids, organization_ids)
    await repository.add_follower_rows(project, people, orgs)
    return project


async def add_follower_rows(project: Project, people: list[User], orgs: list[Organization]) -> None:
    """For invitations (sharing.services), inside their transaction."""
    await repository.add_follower_rows(project, people, orgs)


async def unfollow(viewer: Viewer, project_id: object, user_ids: list | None, organization_ids: list | None) -> Project:
    project = await get_project(viewer, project_id)
    if organization_ids:
        await require_on_project(viewer, Action.GRANT_PROJECT_ACCESS, project)
    else:
        await require_removal(viewer, project, user_ids or [])
    people, orgs = await _followers(viewer, user_ids, organization_ids)
    await repository.remove_followers(project, people, orgs)
    return project
