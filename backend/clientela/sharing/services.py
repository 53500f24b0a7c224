"""Sharing a client organization (and with it every project of that client) with other
consultants, and inviting people into projects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from clientela import policy
from clientela.audit import services as audit
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.mail.outbox import EmailKind, queue_email
from clientela.organizations import services as organizations
from clientela.organizations.models import Organization, OrganizationKind
from clientela.partners import repository as partners
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
    """A person (by id, or an address, new or known) or a whole partner firm (`partner_id`)."""

    user_id: object | None = None
    email: str | None = None
    name: str | None = None
    partner_id: object | None = None


async def my_clients(viewer: Viewer) -> list[Organization]:
    policy.require_signed_in(viewer)
    return await repository.clients_held(viewer)


async def _holder(viewer: Viewer, organization: Organization, invitee: Invitee) -> User | Organization:
    """Who an invitee stands for: a partner firm the viewer sees, or a person (created if the
    address is new to the workspace)."""
    if invitee.partner_id is not None:
        if invitee.user_id is not None or invitee.email:
            raise BadUserInput("An invitee is a person or a partner firm, not both.", field="invitees")
        partner = await organizations.get_organization(viewer, invitee.partner_id)
        policy.require_partner(partner)
        return partner
    person = await people.invitee_person(viewer, invitee.user_id, invitee.email, invitee.name)
    if person.id == viewer.user_id:
        raise BadUserInput("You cannot share a client with yourself.", field="invitees")
    if person.organization_id == organization.id:
        raise BadUserInput(f"{person.name} belongs to {organization.name} already.", field="invitees")
    return person


def _holder_name(holder: User | Organization) -> str:
    """Whom a share is held by, for an audit entry."""
    return f"the partner firm {holder.name}" if isinstance(holder, Organization) else holder.name


def _expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    """A share's new expiry, to the second and in UTC; a moment not in the future is refused."""
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    expires_at = expires_at.astimezone(UTC).replace(microsecond=0)
    if expires_at <= now:
        raise BadUserInput("A share cannot expire in the past.", field="expires_at")
    return expires_at


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


async def share_organization(
    viewer: Viewer,
    organization_id: object,
    invitees: list[Invitee],
    role: ShareRole | None,
    expires_at: datetime | None = None,
) -> list[Share]:
    """One share per invitee, a person or a partner firm (sharing again with the same one keeps
    the live share as it is: its role and expiry change through set_share_role and
    set_share_expiry), and a "shared organization" email to each new holder (each member of a
    firm), written in the same transaction."""
    organization = await organizations.get_organization(viewer, organization_id)
    if organization.kind is not OrganizationKind.CLIENT:
        raise BadUserInput("Only client organizations can be shared.", field="organization_id")
    policy.require(viewer, Action.SHARE_CLIENT, organization_id=organization.id)
    if not invitees:
        raise BadUserInput("Name at least one invitee.", field="invitees")
    expires_at = _expiry(expires_at, datetime.now(UTC))
    role = role or ShareRole.CONSULTANT
    settings = get_settings()
    shares: list[Share] = []
    async with repository.transaction():
        for invitee in invitees:
            holder = await _holder(viewer, organization, invitee)
            share, new = await repository.hold_share(organization, holder, role, viewer.user_id, expires_at)
            shares.append(share)
            if not new:  # sharing again with the same holder keeps the live share
                continue
            firm = holder if isinstance(holder, Organization) else None
            await audit.record(
                viewer,
                "share.create",
                f"{organization.name} shared with {_holder_name(holder)} as {role.value}"
                + (f" until {_moment(expires_at)}" if expires_at else ""),
                organization_id=organization.id,
            )
            for person in await _people_holding(holder):
                await queue_email(
                    EmailKind.SHARED_ORGANIZATION,
                    person,
                    {
                        "inviter_name": viewer.user.name,
                        "organization_name": organization.name,
                        "partner_name": firm.name if firm else None,
                        "organization_url": f"{settings.link_base}/organizations/{organization.id}",
                        "has_password": person.password_hash is not None,
                        "password_url": f"{settings.link_base}/set-password",
                    },
                    about=share.id,
                )
    return shares


async def _people_holding(holder: User | Organization) -> list[User]:
    """The people a new share is emailed to: its person (who is now invited), or the members of
    its firm (invited when they joined)."""
    if isinstance(holder, Organization):
        return (await partners.members_of_firms([holder.id])).get(holder.id, [])
    await people_repository.mark_invited(holder)
    return [holder]


async def _managed_share(viewer: Viewer, share_id: object) -> Share:
    share = await repository.visible_share(viewer, share_id)
    policy.require(viewer, Action.SHARE_CLIENT, organization_id=share.organization_id)
    return share


async def _change_share(viewer: Viewer, share: Share, action: str, summary: str, **changes: object) -> None:
    """Write a change to a share together with its audit entry; `summary` may name
    {user} and {organization}."""
    async with repository.transaction():
        await repository.change_share(share, changes)
        holder = share.user if share.user_id else share.partner
        summary = summary.format(user=_holder_name(holder), organization=share.organization.name)
        await audit.record(viewer, action, summary, organization_id=share.organization_id)
    share.update_from_dict(changes)


async def _changeable_share(viewer: Viewer, share_id: object) -> Share:
    share = await _managed_share(viewer, share_id)
    if share.status is ShareStatus.REVOKED:
        raise BadUserInput("This share has been revoked; share the client again instead.", field="share_id")
    return share


async def set_share_role(viewer: Viewer, share_id: object, role: ShareRole) -> Share:
    share = await _changeable_share(viewer, share_id)
    if share.role is not role:
        await _change_share(viewer, share, "share.role", f"{{user}} is now {role.value} on {{organization}}", role=role)
    return share


async def set_share_expiry(viewer: Viewer, share_id: object, expires_at: datetime | None) -> Share:
    """Set, move (an expired share comes back to life) or clear (None) a share's expiry; for
    who may share the client only. A reminder was sent for the old date? The new date gets
    its own, and the old one, if still waiting in the outbox, is cancelled at delivery."""
    share = await _changeable_share(viewer, share_id)
    expires_at = _expiry(expires_at, datetime.now(UTC))
    if share.expires_at != expires_at:
        summary = (
            f"{{user}}'s share of {{organization}} now expires on {_moment(expires_at)}"
            if expires_at
            else "{user}'s share of {organization} no longer expires"
        )
        if share.expires_at is not None:
            summary += f" (was {_moment(share.expires_at)})"
        await _change_share(viewer, share, "share.expiry", summary, expires_at=expires_at)
    return share


async def remind_expiring_shares(now: datetime | None = None) -> int:
    """The reminder pass: for each live share that expires within
    policy.SHARE_EXPIRY_REMINDER_LEAD and whose date has not been reminded of, email its holder
    (each member of a firm) and the client's owner, once per share and date however many workers run it at once. The
    number of shares reminded."""
    now = now or datetime.now(UTC)
    settings = get_settings()
    reminded = 0
    for share, recipients in await repository.shares_to_remind(now, now + policy.SHARE_EXPIRY_REMINDER_LEAD):
        organization = share.organization
        holder_name = share.partner.name if share.partner_id else share.user.name

        async def write(reminder, share=share, organization=organization, holder_name=holder_name, recipients=recipients):
            for person in recipients:
                await queue_email(
                    EmailKind.SHARE_EXPIRY_REMINDER,
                    person,
                    {
                        # The owner is told whose access ends; a holder (a firm's member), that theirs does.
                        "for_holder": person.id != organization.owner_id,
                        "holder_name": holder_name,
                        "organization_name": organization.name,
                        "organization_url": f"{settings.link_base}/organizations/{organization.id}",
                        "expires_at": share.expires_at,
                    },
                    about=reminder.id,
                )

        if await repository.remind_once(share, share.expires_at, write):
            reminded += 1
    return reminded


async def revoke_share(viewer: Viewer, share_id: object) -> bool:
    share = await _managed_share(viewer, share_id)
    if share.status is not ShareStatus.REVOKED:
        await _change_share(
            viewer, share, "share.revoke", "{organization} no longer shared with {user}", status=ShareStatus.REVOKED
        )
    return True


async def _invited_person(viewer: Viewer, organization: Organization, email: str) -> User | None:
    """policy.require_invite, with the facts it decides on read. Whether a person holds a share
    or is in a partner firm is read only for one the inviter sees: anyone else is refused
    whatever they hold. Nobody is looked up for an inviter who may not invite at all."""
    policy.require_invite_into(viewer, organization)
    known = await people_repository.person_with_email(viewer.workspace_id, email)
    visible = known is not None and await people_repository.sees(viewer, known)
    holds_share = visible and await repository.holds_live_share(known.id)
    in_firm = visible and await partners.in_a_firm(known.id)
    return policy.require_invite(
        viewer, organization, known, visible=visible, holds_live_share=holds_share, partner_member=in_firm
    )


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
