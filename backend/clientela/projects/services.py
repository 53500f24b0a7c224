"""Projects: creation, settings, clients, members and client followers."""

from __future__ import annotations

from decimal import Decimal

from strawberry import UNSET
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.audit import services as audit
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.core.lookup import fetch_all_visible, fetch_visible
from clientela.core.pagination import ROOT_LIST_LIMIT
from clientela.organizations import services as organizations
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people.models import User
from clientela.policy import Action, Viewer, ViewerKind
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.workspaces.repository import visibility_changed


async def get_project(viewer: Viewer, project_id: object) -> Project:
    return await fetch_visible(Project, policy.projects_visible(viewer), project_id, "Project")


async def get_managed_project(viewer: Viewer, project_id: object) -> Project:
    project = await get_project(viewer, project_id)
    await policy.require(viewer, Action.MANAGE_PROJECT, project=project)
    return project


async def list_projects(viewer: Viewer, client_id: object | None) -> list[Project]:
    query = Project.filter(policy.projects_visible(viewer))
    if client_id is not None:
        client = await organizations.get_organization(viewer, client_id)
        query = query.filter(client_id=client.id)
    return await query.order_by("name", "id").limit(ROOT_LIST_LIMIT)


async def _client_for(viewer: Viewer, client_id: object | None) -> Organization | None:
    """The client a project may be given: a visible CLIENT organization the viewer may create
    projects for. None, a project of no client, only who may create those: a client's CSR
    taking the client away would otherwise turn its project into one outside every share."""
    if client_id is None:
        await policy.require(viewer, Action.CREATE_PROJECT)
        return None
    client = await organizations.get_client(viewer, client_id)
    await policy.require(viewer, Action.CREATE_PROJECT, organization_id=client.id)
    return client


async def create_project(
    viewer: Viewer,
    *,
    name: str,
    description: str | None,
    client_id: object | None,
    budget: Decimal | None,
    hourly_rate: Decimal | None,
) -> Project:
    name = validation.name(name)
    description = validation.text(description)
    budget = validation.money(budget, "budget")
    hourly_rate = validation.money(hourly_rate, "hourly_rate")
    client = await _client_for(viewer, client_id)
    async with in_transaction():
        project = await Project.create(
            workspace_id=viewer.workspace_id,
            name=name,
            description=description,
            client=client,
            budget=budget,
            hourly_rate=hourly_rate,
            created_by_id=viewer.user_id,
        )
        if viewer.kind in (ViewerKind.ADMIN, ViewerKind.STAFF):
            await ProjectMember.create(project=project, user_id=viewer.user_id)
        if client:
            await audit.record(viewer, "project.client", f"{name} created for {client.name}", organization_id=client.id)
    return project


async def update_project(viewer: Viewer, project_id: object, changes: dict) -> Project:
    """`changes` holds the fields given; a field set to UNSET is left alone, `clientId: null`
    takes the client away."""
    project = await get_managed_project(viewer, project_id)
    values: dict = {}
    if changes.get("name", UNSET) is not UNSET:
        values["name"] = validation.name(changes["name"])
    if changes.get("description", UNSET) is not UNSET:
        values["description"] = validation.text(changes["description"])
    for field, key in (("budget", "budget"), ("hourly_rate", "hourlyRate")):
        if changes.get(field, UNSET) is not UNSET:
            values[field] = validation.money(changes[field], key)
    client = UNSET
    if changes.get("client_id", UNSET) is not UNSET:
        client = await _client_for(viewer, changes["client_id"])
        values["client_id"] = client.id if client else None
    async with in_transaction():
        if values:
            await Project.filter(id=project.id).update(**values)
            project.update_from_dict(values)
        if client is not UNSET and client is not None:
            await audit.record(viewer, "project.client", f"{project.name} assigned to {client.name}", organization_id=client.id)
    return project


async def assign_client_to_projects(viewer: Viewer, client_id: object, project_ids: list) -> list[Project]:
    """All or nothing: one unknown, invisible or unmanageable project and none changes."""
    if not project_ids:
        raise BadUserInput("Name at least one project.", field="project_ids")
    client = await _client_for(viewer, client_id)
    projects = await fetch_all_visible(Project, policy.projects_visible(viewer), project_ids, "Project")
    for project in projects:
        await policy.require(viewer, Action.MANAGE_PROJECT, project=project)
    async with in_transaction():
        await Project.filter(id__in=[p.id for p in projects]).update(client_id=client.id)
        names = ", ".join(p.name for p in projects)
        await audit.record(viewer, "project.client", f"{client.name} assigned to {names}", organization_id=client.id)
    for project in projects:
        project.client_id = client.id
    return projects


async def _people(viewer: Viewer, user_ids: list) -> list[User]:
    return await fetch_all_visible(User, policy.people_visible(viewer), user_ids, "Person")


async def _granting_project(viewer: Viewer, project_id: object) -> Project:
    project = await get_project(viewer, project_id)
    await policy.require(viewer, Action.GRANT_PROJECT_ACCESS, project=project)
    return project


async def add_members(viewer: Viewer, project_id: object, user_ids: list) -> Project:
    project = await _granting_project(viewer, project_id)
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    people = await _people(viewer, user_ids)
    if await User.filter(id__in=[p.id for p in people], organization__kind=OrganizationKind.CLIENT).exists():
        raise BadUserInput("Clients follow projects instead of joining them; use followProject.", field="user_ids")
    async with in_transaction():
        added = await add_member_rows(project, people)
        if added:
            names = ", ".join(p.name for p in added)
            await audit.record(viewer, "project.members.add", f"{names} added to {project.name}", organization_id=project.client_id)
    return project


async def remove_members(viewer: Viewer, project_id: object, user_ids: list) -> Project:
    project = await get_project(viewer, project_id)
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    await policy.require_removal(viewer, project, user_ids)
    # The members list of a visible project names its members, whoever else the viewer sees.
    members = Subquery(ProjectMember.filter(project_id=project.id).values("user_id"))
    people = await fetch_all_visible(
        User, policy.people_visible(viewer) | Q(id__in=members), user_ids, "Person"
    )
    async with in_transaction():
        rows = ProjectMember.filter(project_id=project.id, user_id__in=[p.id for p in people])
        members = set(await rows.values_list("user_id", flat=True))
        if members:
            await rows.delete()
            names = ", ".join(p.name for p in people if p.id in members)
            await audit.record(
                viewer, "project.members.remove", f"{names} removed from {project.name}", organization_id=project.client_id
            )
    return project


async def add_member_rows(project: Project, people: list[User]) -> list[User]:
    """Make people members of a project; returns those who were not members yet."""
    existing = set(await ProjectMember.filter(project_id=project.id).values_list("user_id", flat=True))
    added = [p for p in people if p.id not in existing]
    await ProjectMember.bulk_create([ProjectMember(project_id=project.id, user_id=p.id) for p in added])
    return added


async def _followers(viewer: Viewer, user_ids: list | None, organization_ids: list | None) -> tuple[list, list]:
    if not user_ids and not organization_ids:
        raise BadUserInput("Name at least one person or organization.", field="user_ids")
    people = await _people(viewer, user_ids or [])
    orgs = await fetch_all_visible(
        Organization, policy.organizations_visible(viewer), organization_ids or [], "Organization"
    )
    if any(org.kind is not OrganizationKind.CLIENT for org in orgs):
        raise BadUserInput("Only client organizations can follow a project.", field="organization_ids")
    return people, orgs


async def follow(viewer: Viewer, project_id: object, user_ids: list | None, organization_ids: list | None) -> Project:
    """Share a project with client people or whole client organizations (including the people
    who join the organization later)."""
    project = await _granting_project(viewer, project_id)
    people, orgs = await _followers(viewer, user_ids, organization_ids)
    await add_follower_rows(project, people, orgs)
    return project


async def add_follower_rows(project: Project, people: list[User], orgs: list[Organization]) -> None:
    rows = await ProjectFollower.filter(project_id=project.id).values_list("user_id", "organization_id")
    have_people = {u for u, _ in rows if u}
    have_orgs = {o for _, o in rows if o}
    async with in_transaction():
        await ProjectFollower.bulk_create(
            [ProjectFollower(project_id=project.id, user_id=p.id) for p in people if p.id not in have_people]
            + [ProjectFollower(project_id=project.id, organization_id=o.id) for o in orgs if o.id not in have_orgs]
        )
        await visibility_changed(project.workspace_id)


async def unfollow(viewer: Viewer, project_id: object, user_ids: list | None, organization_ids: list | None) -> Project:
    project = await get_project(viewer, project_id)
    if organization_ids:
        await policy.require(viewer, Action.GRANT_PROJECT_ACCESS, project=project)
    else:
        await policy.require_removal(viewer, project, user_ids or [])
    people, orgs = await _followers(viewer, user_ids, organization_ids)
    async with in_transaction():
        if people:
            await ProjectFollower.filter(project_id=project.id, user_id__in=[p.id for p in people]).delete()
        if orgs:
            await ProjectFollower.filter(project_id=project.id, organization_id__in=[o.id for o in orgs]).delete()
        await visibility_changed(project.workspace_id)
    return project
