"""Projects, their members and followers as Tortoise reads and writes them: lookups go through
the policy's filters; writes that change what clients see move the visibility generation, and
those the audit log keeps note it, in their own transaction."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.audit import repository as audit
from clientela.core.lookup import fetch_all_visible, fetch_visible
from clientela.core.pagination import ROOT_LIST_LIMIT
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.workspaces.repository import visibility_changed


async def is_member(viewer: Viewer, project: Project) -> bool:
    return await ProjectMember.exists(project_id=project.id, user_id=viewer.user_id)


async def project(viewer: Viewer, project_id: object) -> Project:
    return await fetch_visible(Project, policy.projects_visible(viewer), project_id, "Project")


async def projects(viewer: Viewer, project_ids: list) -> list[Project]:
    """All or nothing: one unknown or invisible id is NOT_FOUND."""
    return await fetch_all_visible(Project, policy.projects_visible(viewer), project_ids, "Project")


async def visible_projects(viewer: Viewer, client_id: uuid.UUID | None) -> list[Project]:
    query = Project.filter(policy.projects_visible(viewer))
    if client_id is not None:
        query = query.filter(client_id=client_id)
    return await query.order_by("name", "id").limit(ROOT_LIST_LIMIT)


async def people_or_members(viewer: Viewer, project: Project, user_ids: list) -> list[User]:
    """Like `people`, and the project's members too: the members list of a visible project
    names its members, whoever else the viewer sees."""
    members = Subquery(ProjectMember.filter(project_id=project.id).values("user_id"))
    return await fetch_all_visible(User, policy.people_visible(viewer) | Q(id__in=members), user_ids, "Person")


async def any_client_person(people: list[User]) -> bool:
    return await User.filter(id__in=[p.id for p in people], organization__kind=OrganizationKind.CLIENT).exists()


async def create_project(
    viewer: Viewer,
    *,
    name: str,
    description: str,
    client: Organization | None,
    budget: Decimal | None,
    hourly_rate: Decimal | None,
    key: str | None,
    creator_joins: bool,
) -> Project:
    """The project, with the viewer as its member if `creator_joins`; a project made for a
    client is noted in the audit log."""
    async with in_transaction():
        project = await Project.create(
            workspace_id=viewer.workspace_id,
            name=name,
            description=description,
            client=client,
            budget=budget,
            hourly_rate=hourly_rate,
            key=key,
            created_by_id=viewer.user_id,
        )
        if creator_joins:
            await ProjectMember.create(project=project, user_id=viewer.user_id)
        if client:
            await audit.add_entry(viewer, "project.client", f"{name} created for {client.name}", organization_id=client.id)
    return project


async def update_project(viewer: Viewer, project: Project, values: dict, assigned_client: Organization | None) -> None:
    """Writes `values` (column → value) to the project; giving it a client is noted in the
    audit log."""
    async with in_transaction():
        if values:
            await Project.filter(id=project.id).update(**values)
            project.update_from_dict(values)
        if assigned_client is not None:
            await audit.add_entry(
                viewer, "project.client", f"{project.name} assigned to {assigned_client.name}", organization_id=assigned_client.id
            )


async def assign_client(viewer: Viewer, projects: list[Project], client: Organization) -> None:
    """All the projects or none, noted in the audit log."""
    async with in_transaction():
        await Project.filter(id__in=[p.id for p in projects]).update(client_id=client.id)
        names = ", ".join(p.name for p in projects)
        await audit.add_entry(viewer, "project.client", f"{client.name} assigned to {names}", organization_id=client.id)
    for project in projects:
        project.client_id = client.id


async def add_member_rows(project: Project, people: list[User]) -> list[User]:
    """Make people members of a project; returns those who were not members yet."""
    existing = set(await ProjectMember.filter(project_id=project.id).values_list("user_id", flat=True))
    added = [p for p in people if p.id not in existing]
    await ProjectMember.bulk_create([ProjectMember(project_id=project.id, user_id=p.id) for p in added])
    return added


async def add_members(viewer: Viewer, project: Project, people: list[User]) -> None:
    """Those of `people` who were not members yet join, noted in the audit log."""
    async with in_transaction():
        added = await add_member_rows(project, people)
        if added:
            names = ", ".join(p.name for p in added)
            await audit.add_entry(viewer, "project.members.add", f"{names} added to {project.name}", organization_id=project.client_id)


async def remove_members(viewer: Viewer, project: Project, people: list[User]) -> None:
    """Those of `people` who are members leave, noted in the audit log."""
    async with in_transaction():
        rows = ProjectMember.filter(project_id=project.id, user_id__in=[p.id for p in people])
        members = set(await rows.values_list("user_id", flat=True))
        if members:
            await rows.delete()
            names = ", ".join(p.name for p in people if p.id in members)
            await audit.add_entry(
                viewer, "project.members.remove", f"{names} removed from {project.name}", organization_id=project.client_id
            )


async def add_follower_rows(project: Project, people: list[User], orgs: list[Organization]) -> None:
    """People and organizations that do not follow the project yet start to."""
    rows = await ProjectFollower.filter(project_id=project.id).values_list("user_id", "organization_id")
    have_people = {u for u, _ in rows if u}
    have_orgs = {o for _, o in rows if o}
    async with in_transaction():
        await ProjectFollower.bulk_create(
            [ProjectFollower(project_id=project.id, user_id=p.id) for p in people if p.id not in have_people]
            + [ProjectFollower(project_id=project.id, organization_id=o.id) for o in orgs if o.id not in have_orgs]
        )
        await visibility_changed(project.workspace_id)


async def remove_followers(project: Project, people: list[User], orgs: list[Organization]) -> None:
    async with in_transaction():
        if people:
            await ProjectFollower.filter(project_id=project.id, user_id__in=[p.id for p in people]).delete()
        if orgs:
            await ProjectFollower.filter(project_id=project.id, organization_id__in=[o.id for o in orgs]).delete()
        await visibility_changed(project.workspace_id)
