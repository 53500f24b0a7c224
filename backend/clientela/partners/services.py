"""Partner firms: outside consultant firms whose members hold, together, the shares of clients
made with the firm (sharing/services.py). Who is in a firm is admin business."""

from __future__ import annotations

from dataclasses import dataclass

from clientela import policy
from clientela.audit import services as audit
from clientela.core.errors import BadUserInput
from clientela.mail.outbox import EmailKind, queue_email
from clientela.organizations import services as organizations
from clientela.organizations.models import Organization
from clientela.partners import repository
from clientela.people import repository as people_repository
from clientela.people import services as people
from clientela.people.models import User
from clientela.policy import Action, Viewer
from clientela.settings import get_settings


@dataclass
class NewMember:
    user_id: object | None = None
    email: str | None = None
    name: str | None = None
    partner_id: object | None = None  # refused: a firm's members are people


async def _firm(viewer: Viewer, partner_id: object) -> Organization:
    partner = await organizations.get_organization(viewer, partner_id)
    policy.require_partner(partner)
    return partner


async def _audit_on_firm_and_clients(viewer: Viewer, partner: Organization, action: str, summary: str) -> None:
    """A change of who is in a firm changes who reaches each client it holds: written to the
    firm's audit log and to each of those clients', where their owners read it."""
    await audit.record(viewer, action, summary, organization_id=partner.id)
    for client, share in await repository.clients_held_by(partner):
        await audit.record(
            viewer, action, f"{summary}, which holds a {share.role.value} share of {client.name}", organization_id=client.id
        )


async def add_partner_members(viewer: Viewer, partner_id: object, invitees: list[NewMember]) -> Organization:
    """Known people or new addresses join the firm, all or none; each new member gets an email
    (with a create-password link if they have no password yet), in their language."""
    partner = await _firm(viewer, partner_id)
    policy.require(viewer, Action.MANAGE_PARTNERS)
    if not invitees:
        raise BadUserInput("Name at least one person.", field="invitees")
    settings = get_settings()
    async with repository.transaction():
        for invitee in invitees:
            if invitee.partner_id is not None:
                raise BadUserInput("A partner firm's members are people, not firms.", field="invitees")
            person = await people.invitee_person(viewer, invitee.user_id, invitee.email, invitee.name)
            policy.require_partner_member(viewer, partner, person)
            if not await repository.join(partner, person):
                continue
            await people_repository.mark_invited(person)
            await _audit_on_firm_and_clients(viewer, partner, "partner.join", f"{person.name} joined {partner.name}")
            await queue_email(
                EmailKind.PARTNER_MEMBERSHIP,
                person,
                {
                    "inviter_name": viewer.user.name,
                    "partner_name": partner.name,
                    "clients_url": f"{settings.link_base}/clients",
                    "has_password": person.password_hash is not None,
                    "password_url": f"{settings.link_base}/set-password",
                },
                about=partner.id,
            )
    return partner


async def remove_partner_members(viewer: Viewer, partner_id: object, user_ids: list) -> Organization:
    """The people leave the firm (admins remove anyone; a member may leave): the access the
    firm's shares gave them ends with this request. People not in the firm are left as they are."""
    partner = await _firm(viewer, partner_id)
    policy.require_partner_removal(viewer, partner, user_ids)
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    leaving: list[User] = await people_repository.visible_people(viewer, user_ids)
    async with repository.transaction():
        for person in await repository.leave(partner, leaving):
            await _audit_on_firm_and_clients(viewer, partner, "partner.leave", f"{person.name} left {partner.name}")
    return partner
