"""People: contacts (who may never be invited), the directory, and contact privacy."""

from __future__ import annotations

from clientela import policy
from clientela.audit import services as audit
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.organizations import services as organizations
from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.people import repository
from clientela.people.models import ContactPrivacy, User
from clientela.policy import Action, Viewer


def default_privacy(organization: Organization | None) -> ContactPrivacy:
    if organization is not None and organization.kind is OrganizationKind.INTERNAL:
        return ContactPrivacy.HIDDEN_FROM_CLIENTS
    return ContactPrivacy.VISIBLE_TO_ALL


async def create_person(
    viewer: Viewer,
    *,
    name: str,
    email: str | None,
    phone: str | None = None,
    organization: Organization | None,
    department: Department | None = None,
    invited: bool = False,
) -> User:
    return await repository.add_person(
        viewer.workspace_id,
        name=name,
        email=email,
        phone=phone,
        search_text=validation.fold(f"{name} {email or ''}"),
        organization=organization,
        department=department,
        invited=invited,
        privacy=default_privacy(organization),
    )


async def add_contact(
    viewer: Viewer, *, name: str, email: str | None, phone: str | None, organization_id: object, department_id: object | None
) -> User:
    """A person the firm knows, not invited: no email is sent. Being a contact is what later
    lets them create a password."""
    organization = await organizations.get_organization(viewer, organization_id)
    name = validation.name(name)
    email = validation.email(email) if email else None
    phone = validation.phone(phone)
    department = await organizations.department_of(organization, department_id)
    policy.require(viewer, Action.MANAGE_ORGANIZATION, organization_id=organization.id)
    policy.require_members_apart(organization)
    if email and await repository.email_taken(viewer.workspace_id, email):
        raise BadUserInput(repository.EMAIL_TAKEN, field="email")
    return await create_person(viewer, name=name, email=email, phone=phone, organization=organization, department=department)


async def invitee_person(viewer: Viewer, user_id: object | None, email: str | None, name: str | None) -> User:
    """The person an invitee (of a share, of a partner firm) stands for: a person the viewer
    sees, by id; else the person of the address, created if the address is new to the workspace."""
    if user_id is not None:
        return await get_person(viewer, user_id)
    if not email:
        raise BadUserInput("Each invitee needs a userId or an email.", field="invitees")
    email = validation.email(email)
    known = await repository.person_with_email(viewer.workspace_id, email)
    if known is not None:
        return known
    name = validation.name(name) if name else email.split("@")[0]
    return await create_person(viewer, name=name, email=email, organization=None, invited=True)


async def get_person(viewer: Viewer, user_id: object) -> User:
    return await repository.visible_person(viewer, user_id)


async def list_people(viewer: Viewer, organization_id: object | None) -> list[User]:
    organization = await organizations.get_organization(viewer, organization_id) if organization_id is not None else None
    return await repository.people_of(viewer, organization)


async def set_contact_privacy(viewer: Viewer, user_ids: list, privacy: ContactPrivacy) -> list[User]:
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    people = await repository.visible_people(viewer, user_ids)
    policy.require_privacy_change(viewer, people)
    await repository.set_privacy(people, privacy)
    for person in people:
        await audit.record(
            viewer,
            "contact.privacy",
            f"Contact privacy of {person.name} set to {privacy.value}",
            organization_id=person.organization_id,
        )
    return people


async def search_share_candidates(viewer: Viewer, search: str) -> list[User]:
    """People of the workspace a client may be shared with, by name or email, ignoring case
    and accents. Clients' own people are not candidates."""
    policy.require(viewer, Action.SEE_SHARE_CANDIDATES)
    needle = validation.fold(search.strip())
    if len(needle) < 1:
        return []
    if len(needle) > 200:
        raise BadUserInput("The search is too long.", field="search")
    return await repository.share_candidates(viewer, needle)
