"""People: contacts (who may never be invited), the directory, and contact privacy."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from clientela import policy
from clientela.audit import services as audit
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.core.lookup import fetch_all_visible, fetch_visible
from clientela.core.pagination import ROOT_LIST_LIMIT
from clientela.organizations import services as organizations
from clientela.organizations.models import Department, Organization, OrganizationKind
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
    try:
        return await User.create(
            workspace_id=viewer.workspace_id,
            name=name,
            email=email,
            phone=phone,
            search_text=validation.fold(f"{name} {email or ''}"),
            organization=organization,
            department=department,
            invited=invited,
            privacy=default_privacy(organization),
        )
    except IntegrityError:
        raise BadUserInput("Someone in this workspace already has this email address.", field="email") from None


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
    await policy.require(viewer, Action.MANAGE_ORGANIZATION, organization_id=organization.id)
    if email and await User.exists(workspace_id=viewer.workspace_id, email=email):
        raise BadUserInput("Someone in this workspace already has this email address.", field="email")
    return await create_person(
        viewer, name=name, email=email, phone=phone, organization=organization, department=department
    )


async def get_person(viewer: Viewer, user_id: object) -> User:
    return await fetch_visible(User, policy.people_visible(viewer), user_id, "Person")


async def list_people(viewer: Viewer, organization_id: object | None) -> list[User]:
    query = User.filter(policy.people_visible(viewer))
    if organization_id is not None:
        organization = await organizations.get_organization(viewer, organization_id)
        query = query.filter(organization_id=organization.id)
    return await query.order_by("name", "id").limit(ROOT_LIST_LIMIT)


async def set_contact_privacy(viewer: Viewer, user_ids: list, privacy: ContactPrivacy) -> list[User]:
    if not user_ids:
        raise BadUserInput("Name at least one person.", field="user_ids")
    people = await fetch_all_visible(User, policy.people_visible(viewer), user_ids, "Person")
    await policy.require_privacy_change(viewer, people)
    await User.filter(id__in=[p.id for p in people]).update(privacy=privacy)
    for person in people:
        person.privacy = privacy
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
    await policy.require(viewer, Action.SEE_SHARE_CANDIDATES)
    needle = validation.fold(search.strip())
    if len(needle) < 1:
        return []
    if len(needle) > 200:
        raise BadUserInput("The search is too long.", field="search")
    return (
        await User.filter(
            policy.people_visible(viewer),
            Q(organization_id__isnull=True) | Q(organization__kind=OrganizationKind.INTERNAL),
            search_text__contains=needle,
        )
        .exclude(id=viewer.user_id)
        .order_by("name", "id")
        .limit(20)
    )


