"""Sharing a client organization (and with it every project of that client) with other
consultants, and inviting people into projects."""

from __future__ import annotations

from dataclasses import dataclass

from clientela import policy
from clientela.audit import services as audit
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.mail.outbox import EmailKind, queue_email
from clientela.organizations import services as organizations
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people import repository as people_repository
from clientela.people import services as people
from clientela.people.models import User
from clientela.policy import Action, Viewer
from clientela.projects import services as projects
from clientela.settings import get_settings
from clientela.sharing import repository
from clientela.sharing.models import Share, ShareRole, ShareStatus


@dataclass
class Invitee:
    user_id: object | None = None
    email: str | None = None
    name: str | None = None


async def my_clients(viewer: Viewer) -> list[Organization]:
    policy.require_signed_in(viewer)
    return await repository.clients_held(viewer)


async def _invitee_person(viewer: Viewer, invitee: Invitee) -> User:
    """The person an invitee stands for, created if the address is new to the workspace."""
    if invitee.user_id is not None:
        return await people.get_person(viewer, invitee.user_id)
    if not invitee.email:
        raise BadUserInput("Each invitee needs a userId or an email.", field="invitees")
    email = validation.email(invitee.email)
    known = await people_repository.person_with_email(viewer.workspace_id, email)
    if known is not None:
        return known
    name = validation.name(invitee.name) if invitee.name else email.split("@")[0]
    return await people.create_person(viewer, name=name, email=email, organization=None, invited=True)


async def share_organization(
    viewer: Viewer, organization_id: object, invitees: list[Invitee], role: ShareRole | None
) -> list[Share]:
    """One share per invitee (sharing again with the same person keeps the live share), and a
    "shared organization" email to each new one, written in the same transaction."""
    organization = await organizations.get_organization(viewer, organization_id)
    if organization.kind is not OrganizationKind.CLIENT:
        raise BadUserInput("Only client organizations can be shared.", field="organization_id")
    policy.require(viewer, Action.SHARE_CLIENT, organization_id=organization.id)
    if not invitees:
        raise BadUserInput("Name at least one invitee.", field="invitees")
    role = role or ShareRole.CONSULTANT
    settings = get_settings()
    shares: list[Share] = []
    async with repository.transaction():
        for invitee in invitees:
            person = await _invitee_person(viewer, invitee)
            if person.id == viewer.user_id:
                raise BadUserInput("You cannot share a client with yourself.", field="invitees")
            if person.organization_id == organization.id:
                raise BadUserInput(f"{person.name} belongs to {organization.name} already.", field="invitees")
            share, new = await repository.hold_share(organization, person, role, viewer.user_id)
            shares.append(share)
            if not new:  # sharing again with the same person keeps the live share
                continue
            await people_repository.mark_invited(person)
            await audit.record(
                viewer,
                "share.create",
                f"{organization.name} shared with {person.name} as {role.value}",
                organization_id=organization.id,
            )
            await queue_email(
                EmailKind.SHARED_ORGANIZATION,
                person,
                {
                    "inviter_name": viewer.user.name,
                    "organization_name": organization.name,
                    "organization_url": f"{settings.link_base}/organizations/{organization.id}",
                    "has_password": person.password_hash is not None,
                    "password_url": f"{settings.link_base}/set-password",
                },
                about=share.id,
            )
    return shares


async def _managed_share(viewer: Viewer, share_id: object) -> Share:
    share = await repository.visible_share(viewer, share_id)
    policy.require(viewer, Action.SHARE_CLIENT, organization_id=share.organization_id)
    return share


async def _change_share(viewer: Viewer, share: Share, action: str, summary: str, **changes: object) -> None:
    """Write a change to a share together with its audit entry; `summary` may name
    {user} and {organization}."""
    async with repository.transaction():
        await repository.change_share(share, changes)
        summary = summary.format(user=share.user.name, organization=share.organization.name)
        await audit.record(viewer, action, summary, organization_id=share.organization_id)
    share.update_from_dict(changes)


async def set_share_role(viewer: Viewer, share_id: object, role: ShareRole) -> Share:
    share = await _managed_share(viewer, share_id)
    if share.status is ShareStatus.REVOKED:
        raise BadUserInput("This share has been revoked; share the client again instead.", field="share_id")
    if share.role is not role:
        await _change_share(viewer, share, "share.role", f"{{user}} is now {role.value} on {{organization}}", role=role)
    return share


async def revoke_share(viewer: Viewer, share_id: object) -> bool:
    share = await _managed_share(viewer, share_id)
    if share.status is not ShareStatus.REVOKED:
        await _change_share(
            viewer, share, "share.revoke", "{organization} no longer shared with {user}", status=ShareStatus.REVOKED
        )
    return True


async def _invited_person(viewer: Viewer, organization: Organization, email: str) -> User | None:
    """policy.require_invite, with the facts it decides on read. Whether a person holds a share
    is read only for one the inviter sees: anyone else is refused whatever they hold. Nobody is
    looked up for an inviter who may not invite at all."""
    policy.require_invite_into(viewer, organization)
    known = await people_repository.person_with_email(viewer.workspace_id, email)
    visible = known is not None and await people_repository.sees(viewer, known)
    holds_share = visible and await repository.holds_live_share(known.id)
    return policy.require_invite(viewer, organization, known, visible=visible, holds_live_share=holds_share)


async def invite_to_project(
    viewer: Viewer,
    *,
    project_id: object,
    organization_id: object,
    department_id: object | None,
    name: str,
    email: str,
) -> User:
    """Add a new or known person to an organization and to a project (a member if the
    organization is internal, a follower if it is a client) and email them an invitation."""
    project = await projects.get_project(viewer, project_id)
    await projects.require_on_project(viewer, Action.GRANT_PROJECT_ACCESS, project)
    organization = await organizations.get_organization(viewer, organization_id)
    department = await organizations.department_of(organization, department_id)
    name = validation.name(name)
    email = validation.email(email)
    settings = get_settings()
    async with repository.transaction():
        person = await _invited_person(viewer, organization, email)
        if person is None:
            person = await people.create_person(
                viewer, name=name, email=email, organization=organization, department=department, invited=True
            )
        else:
            # Joining brings no earlier requests along: those were filed outside this organization.
            await people_repository.join_organization(person, organization, department)
        if organization.kind is OrganizationKind.INTERNAL:
            await projects.add_member_rows(project, [person])
        else:
            await projects.add_follower_rows(project, [person], [])
        await audit.record(
            viewer,
            "project.invite",
            f"{person.name} invited to {project.name}",
            organization_id=project.client_id or organization.id,
        )
        await queue_email(
            EmailKind.PROJECT_INVITATION,
            person,
            {
                "inviter_name": viewer.user.name,
                "project_name": project.name,
                "project_url": f"{settings.link_base}/projects/{project.id}",
                "has_password": person.password_hash is not None,
                "password_url": f"{settings.link_base}/set-password",
            },
            about=project.id,
        )
    person.organization = organization
    return person
