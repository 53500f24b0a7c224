"""People as Tortoise reads and writes them; every read of the viewer's people goes through
`policy.people_visible`."""

from __future__ import annotations

import uuid

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from clientela import policy
from clientela.core.errors import BadUserInput
from clientela.core.ids import parse_id
from clientela.core.lookup import fetch_all_visible, fetch_visible
from clientela.core.pagination import ROOT_LIST_LIMIT
from clientela.organizations.models import Department, Organization, OrganizationKind
from clientela.people.models import ContactPrivacy, User
from clientela.policy import Viewer
from clientela.workspaces.models import Workspace

EMAIL_TAKEN = "Someone in this workspace already has this email address."
SHARE_CANDIDATES_SHOWN = 20


async def add_person(
    workspace_id: uuid.UUID,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    search_text: str,
    organization: Organization | None,
    department: Department | None,
    invited: bool,
    privacy: ContactPrivacy,
) -> User:
    try:
        return await User.create(
            workspace_id=workspace_id,
            name=name,
            email=email,
            phone=phone,
            search_text=search_text,
            organization=organization,
            department=department,
            invited=invited,
            privacy=privacy,
        )
    except IntegrityError:  # the (workspace, email) unique index: someone was quicker
        raise BadUserInput(EMAIL_TAKEN, field="email") from None


async def email_taken(workspace_id: uuid.UUID, email: str) -> bool:
    return await User.exists(workspace_id=workspace_id, email=email)


async def person_with_email(workspace_id: uuid.UUID, email: str) -> User | None:
    """Whoever has the address in the workspace, seen by the viewer or not: callers decide what
    the answer may tell."""
    return await User.get_or_none(workspace_id=workspace_id, email=email)


async def person_to_preview(workspace_id: uuid.UUID, raw_id: str) -> User | None:
    """The person of the workspace with this id, with their organization and workspace (what a
    Viewer is made of), or None: whether they may be previewed is the policy's to say
    (`policy.require_preview`), and it answers alike for every id it refuses."""
    person_id = parse_id(raw_id)
    if person_id is None:
        return None
    return await User.get_or_none(id=person_id, workspace_id=workspace_id).select_related("organization", "workspace")


async def visible_person(viewer: Viewer, user_id: object) -> User:
    return await fetch_visible(User, policy.people_visible(viewer), user_id, "Person")


async def sees(viewer: Viewer, person: User) -> bool:
    return await User.filter(policy.people_visible(viewer), id=person.id).exists()


async def visible_people(viewer: Viewer, user_ids: list) -> list[User]:
    """All or nothing: one unknown or invisible id is NOT_FOUND."""
    return await fetch_all_visible(User, policy.people_visible(viewer), user_ids, "Person")


async def people_of(viewer: Viewer, organization: Organization | None) -> list[User]:
    """The first ROOT_LIST_LIMIT people the viewer sees, by name; of `organization` if given."""
    query = User.filter(policy.people_visible(viewer))
    if organization is not None:
        query = query.filter(organization_id=organization.id)
    return await query.order_by("name", "id").limit(ROOT_LIST_LIMIT)


async def share_candidates(viewer: Viewer, needle: str) -> list[User]:
    """Visible people of the firm's own teams or of no organization whose folded name or email
    contains `needle`, the viewer aside."""
    return (
        await User.filter(
            policy.people_visible(viewer),
            Q(organization_id__isnull=True) | Q(organization__kind=OrganizationKind.INTERNAL),
            search_text__contains=needle,
        )
        .exclude(id=viewer.user_id)
        .order_by("name", "id")
        .limit(SHARE_CANDIDATES_SHOWN)
    )


async def set_privacy(people: list[User], privacy: ContactPrivacy) -> None:
    await User.filter(id__in=[p.id for p in people]).update(privacy=privacy)
    for person in people:
        person.privacy = privacy


async def mark_invited(person: User) -> None:
    if not person.invited:
        await User.filter(id=person.id).update(invited=True)
        person.invited = True


async def join_organization(person: User, organization: Organization, department: Department | None) -> None:
    """The person, invited, in `organization` (and `department` if given). Only people of no
    organization join one (policy.require_invite), and a task's requester rows keep the
    organization they were filed from, so no client's tasks change and the visibility
    generation stays."""
    person.organization_id = organization.id
    person.department_id = department.id if department else person.department_id
    person.invited = True
    await person.save(update_fields=["organization_id", "department_id", "invited"])


async def organization_language(organization_id: uuid.UUID) -> str | None:
    return await Organization.filter(id=organization_id).first().values_list("language", flat=True)


async def workspace_language(workspace_id: uuid.UUID) -> str:
    return await Workspace.filter(id=workspace_id).first().values_list("language", flat=True)


async def people_with_workspaces(user_ids: list[uuid.UUID]) -> list[User]:
    """The people of `user_ids`, with their organizations and workspaces (what decides which
    kind of viewer each is, and the portal settings over clients)."""
    return await User.filter(id__in=user_ids).select_related("organization", "workspace")
