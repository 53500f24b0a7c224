"""The access policy: who sees and does what. The whole policy is in this file.

Every read goes through one of the `*_visible` filters below, whether it fetches one object by
id or a list, so a single object and a list can never disagree. Every write asks `require`
(or one of the `require_*` helpers) before it changes anything. Field-level hiding (time,
money, contacts, portal task fields) is answered by `sees_task_field`, `sees_money` and
`sees_contact`. The tables mirror ../shared/design/access-policy.md.

Viewer kinds: admin; staff (member of an INTERNAL organization); client (member of a CLIENT
organization); guest (signed in, no organization: typically a consultant invited by a share,
or a member of PARTNER firms); anonymous. Orthogonal to the kind, a viewer may own client
organizations (OWNER) and hold live shares of others (CSR or CONSULTANT), their own or their
partner firms' (`client_holdings`).

Writes that change who sees what are decided here too, by these rules:
- Reach comes from grants and ends with them: a guest reaches exactly the projects of the
  clients they hold a live share of (`live_shares`); their membership or following of a
  project grants nothing of its own (`projects_visible`).
- Who may add or remove members, followers and requesters, or invite people into a project,
  is `Action.GRANT_PROJECT_ACCESS` in the table; what an added person reaches is still bounded
  by the reading rules, so nobody grants themselves more than they hold.
- People never move between organizations (`require_invite`); making someone staff (an
  organization's kind, people added to the firm's own teams) is admin-only.
- A partner firm's members are outside people (`require_partner_member`), who reach clients
  only through shares; who is in a firm is admin business, as it reaches every client the firm
  holds. Leaving the firm ends its access on the next request (the Viewer is read per request).
- Hidden means hidden everywhere: what a viewer may not read cannot be filtered on
  (`require_filterable`) or counted (`tasks_counted`), nor emailed (`reads_public_messages`).

Rules only: this module builds filters and decides on facts; it never awaits the database.
Where a rule needs a fact that is not in the Viewer (whether a staff member is a project's
member, whether an invited address holds a share), the caller reads it and passes it in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from clientela.automations.models import AutomationRule, AutomationRuleProject
from clientela.conversations.models import Message, MessageVisibility
from clientela.core.errors import BadUserInput, Forbidden, Unauthenticated
from clientela.core.ids import parse_id
from clientela.core.sql import UnionOf
from clientela.files.models import StoredFile
from clientela.organizations.models import Organization, OrganizationKind
from clientela.partners.models import PartnerMember
from clientela.people.models import ContactPrivacy, User
from clientela.portal.settings import (
    PortalScope,
    PortalSettings,
    TaskField,
)
from clientela.projects.models import Project, ProjectFollower, ProjectMember
from clientela.sharing.models import Share, ShareStatus
from clientela.tasks.models import Task, TaskFollower, TaskRequester


class ViewerKind(StrEnum):
    ADMIN = "ADMIN"
    STAFF = "STAFF"
    CLIENT = "CLIENT"
    GUEST = "GUEST"
    ANONYMOUS = "ANONYMOUS"


class ClientAccess(StrEnum):
    """How a viewer holds a client organization ("my clients")."""

    OWNER = "OWNER"
    CSR = "CSR"
    CONSULTANT = "CONSULTANT"


@dataclass(frozen=True)
class Viewer:
    """Everything the policy needs to know about the caller, computed once per request."""

    kind: ViewerKind
    user: User | None = None
    workspace_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    portal: PortalSettings | None = None
    # Client organizations this viewer owns or holds a live share of (own or a firm's).
    client_access: dict[uuid.UUID, ClientAccess] = field(default_factory=dict)
    # The PARTNER firms this viewer is a member of.
    partner_ids: frozenset[uuid.UUID] = frozenset()
    # The workspace's visibility generation as read at sign-in.
    visibility_generation: int = 0

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.user.id if self.user else None

    @property
    def is_admin(self) -> bool:
        return self.kind is ViewerKind.ADMIN

    @property
    def is_client(self) -> bool:
        return self.kind is ViewerKind.CLIENT

    def access_to(self, organization_id: uuid.UUID) -> ClientAccess | None:
        """How this viewer holds a client: their strongest live share or ownership, or None."""
        return self.client_access.get(organization_id)


ANONYMOUS = Viewer(kind=ViewerKind.ANONYMOUS)

# Shares in these states may still grant something; whether one does also depends on its expiry.
SHARE_STATES_HELD = (ShareStatus.PENDING, ShareStatus.ACCEPTED)


def moment() -> datetime:
    """The time the rules are read at, when the caller gives none."""
    return datetime.now(UTC)


def live_shares(now: datetime | None = None) -> Q:
    """The one definition of a live share: held (PENDING or ACCEPTED) and not past its expiry.
    Only a live share grants anything, so revoking or expiring one ends all it gave."""
    now = now or moment()
    return Q(status__in=SHARE_STATES_HELD) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def share_status(status: ShareStatus, expires_at: datetime | None, now: datetime | None = None) -> ShareStatus:
    """The status a share shows: EXPIRED for a held share past its expiry (the same test as
    `live_shares`, on one share), else its stored status. EXPIRED is never stored."""
    now = now or moment()
    if status in SHARE_STATES_HELD and expires_at is not None and expires_at <= now:
        return ShareStatus.EXPIRED
    return status


# A share's holder and the client's owner are reminded this long before the share expires.
SHARE_EXPIRY_REMINDER_LEAD = timedelta(days=3)


@dataclass(frozen=True)
class ClientHoldings:
    """The three ways people hold a client: their own live shares (`shares`), the live shares of
    the PARTNER firms they are members of (`firm_shares`, and `firm_holders`: the memberships
    through which the people hold one), and owning it (`owned`)."""

    shares: QuerySet
    firm_shares: QuerySet
    firm_holders: QuerySet
    owned: QuerySet


def firms_of(holder_ids: list[uuid.UUID] | Subquery) -> QuerySet:
    """The memberships of people in PARTNER firms (a firm made another kind since holds nothing)."""
    return PartnerMember.filter(user_id__in=holder_ids, partner__kind=OrganizationKind.PARTNER)


def client_holdings(
    holder_ids: list[uuid.UUID] | Subquery, client_id: uuid.UUID | None = None, now: datetime | None = None
) -> ClientHoldings:
    """How people hold a client (of `client_id`, or any; shares live at `now`). Only a CLIENT
    organization is held, so a share or ownership of an organization made INTERNAL since grants
    nothing. Sign-in reads the viewer's access from these, and a message's audience who of its
    readers hold the project's client."""
    held = Share.filter(live_shares(now), organization__kind=OrganizationKind.CLIENT)
    owned = Organization.filter(kind=OrganizationKind.CLIENT, owner_id__in=holder_ids)
    if client_id is not None:
        held, owned = held.filter(organization_id=client_id), owned.filter(id=client_id)
    memberships = firms_of(holder_ids)
    firm_shares = held.filter(partner_id__in=Subquery(memberships.values("partner_id")))
    return ClientHoldings(
        shares=held.filter(user_id__in=holder_ids),
        firm_shares=firm_shares,
        firm_holders=memberships.filter(partner_id__in=Subquery(firm_shares.values("partner_id"))),
        owned=owned,
    )


# How much access to a client each way of holding it gives; a person's access is the highest.
ACCESS_RANK = {ClientAccess.CONSULTANT: 0, ClientAccess.CSR: 1, ClientAccess.OWNER: 2}


def strongest_access(*accesses: ClientAccess | None) -> ClientAccess | None:
    held = [a for a in accesses if a is not None]
    return max(held, key=ACCESS_RANK.__getitem__) if held else None


def kind_of(person: User, organization: Organization | None) -> ViewerKind:
    """What kind of viewer a person is, given their organization."""
    if person.is_admin:
        return ViewerKind.ADMIN
    if organization is None:
        return ViewerKind.GUEST
    return {OrganizationKind.INTERNAL: ViewerKind.STAFF, OrganizationKind.CLIENT: ViewerKind.CLIENT}.get(
        organization.kind, ViewerKind.GUEST
    )


def require_signed_in(viewer: Viewer) -> Viewer:
    if viewer.kind is ViewerKind.ANONYMOUS:
        raise Unauthenticated()
    return viewer


# --- Reading: one filter per kind of object -------------------------------------------------


def organizations_visible(viewer: Viewer) -> Q:
    """admin, staff: every organization; client: their own; guest: the clients they hold and the
    partner firms they are members of."""
    require_signed_in(viewer)
    in_workspace = Q(workspace_id=viewer.workspace_id)
    if viewer.kind in (ViewerKind.ADMIN, ViewerKind.STAFF):
        return in_workspace
    own = [viewer.organization_id] if viewer.organization_id else []
    if viewer.is_client:
        return in_workspace & Q(id__in=own)
    return in_workspace & Q(id__in=own + list(viewer.client_access) + list(viewer.partner_ids))


def people_visible(viewer: Viewer) -> Q:
    """Oneself, and the members of the organizations one may see; staff and admins see all. A
    partner firm's members are not members of an organization (`PartnerMember`): a firm's
    people see only themselves in it. The automation identity is nobody's to look up, assign
    or add (it shows only as the author of what it wrote)."""
    require_signed_in(viewer)
    in_workspace = Q(workspace_id=viewer.workspace_id, is_automation=False)
    if viewer.kind in (ViewerKind.ADMIN, ViewerKind.STAFF):
        return in_workspace
    orgs = Subquery(Organization.filter(organizations_visible(viewer)).values("id"))
    return in_workspace & (Q(id=viewer.user_id) | Q(organization_id__in=orgs))


def _followed_project_ids(viewer: Viewer) -> Subquery:
    by = Q(user_id=viewer.user_id)
    if viewer.organization_id:
        by |= Q(organization_id=viewer.organization_id)
    return Subquery(ProjectFollower.filter(by).values("project_id"))


def _portal_scopes(viewer: Viewer) -> list[tuple[QuerySet, str]]:
    """A client's portal scopes, each as a query over rows that name a task and the column
    that names it; a client sees the union."""
    scopes = viewer.portal.scopes if viewer.portal else frozenset()
    branches: list[tuple[QuerySet, str]] = []
    if PortalScope.OWN_REQUESTS in scopes:
        branches.append((TaskRequester.filter(user_id=viewer.user_id), "task_id"))
        branches.append((TaskFollower.filter(user_id=viewer.user_id), "task_id"))
    if PortalScope.ORGANIZATION_REQUESTS in scopes and viewer.organization_id:
        # Several people of one organization may request the same task.
        branches.append((TaskRequester.filter(organization_id=viewer.organization_id).distinct(), "task_id"))
    if PortalScope.FOLLOWED_PROJECTS in scopes:
        branches.append((Task.filter(project_id__in=_followed_project_ids(viewer)), "id"))
    return branches


def tasks_visible(viewer: Viewer) -> Q:
    """Clients: the union of the portal scopes. Everyone else: the tasks of visible projects."""
    require_signed_in(viewer)
    in_workspace = Q(workspace_id=viewer.workspace_id)
    if viewer.is_admin:
        return in_workspace
    if not viewer.is_client:
        return in_workspace & Q(project_id__in=Subquery(Project.filter(projects_visible(viewer)).values("id")))
    branches = _portal_scopes(viewer)
    if not branches:
        return Q(pk__in=[])
    return in_workspace & Q(id__in=UnionOf(*(query.values(column) for query, column in branches)))


def project_tasks_visible(viewer: Viewer, project: Project) -> Q:
    """The tasks of `project`, a project fetched through `projects_visible`, that the viewer may
    see. For everyone but clients that is every task of the project (`tasks_visible` gives the
    tasks of visible projects), so the project's id is enough and the visibility subquery need
    not run again; clients see through their portal scopes, as in `tasks_visible`."""
    return projects_tasks_visible(viewer, [project])


def projects_tasks_visible(viewer: Viewer, projects: list[Project]) -> Q:
    """`project_tasks_visible` of several projects at once, as one condition: a statement over
    the tasks of a page of projects (their counts, a filtered page of each)."""
    require_signed_in(viewer)
    if viewer.is_client:
        return tasks_visible(viewer) & _of_projects([p.id for p in projects])
    in_workspace = [p.id for p in projects if p.workspace_id == viewer.workspace_id]
    return _of_projects(in_workspace)


def _of_projects(ids: list[uuid.UUID]) -> Q:
    if not ids:
        return Q(pk__in=[])
    return Q(project_id=ids[0]) if len(ids) == 1 else Q(project_id__in=ids)


def client_task_scopes(viewer: Viewer) -> list[QuerySet]:
    """The tasks of each of a client's portal scopes as an id query, whose union is what
    `tasks_visible` gives them (tasks.repository counts a client's tasks from these alone)."""
    return [query.values(column) for query, column in _portal_scopes(viewer)]


def client_task_window(viewer: Viewer, after: uuid.UUID | None, count: int, *, newest_first: bool = False) -> Q:
    """For a client, visible tasks that include the first `count` of `tasks_visible` after
    `after` (by id, or the newest first): the first `count` of each scope, each read from its
    own index. A page of the client's tasks filters on this instead of `tasks_visible`, so that
    its cost follows the page size, not how many tasks the client can see."""
    require_signed_in(viewer)
    windows = []
    for query, column in _portal_scopes(viewer):
        if after is not None:
            query = query.filter(**{f"{column}__{'lt' if newest_first else 'gt'}": after})
        windows.append(query.order_by(f"-{column}" if newest_first else column).limit(count).values(column))
    if not windows:
        return Q(pk__in=[])
    return Q(workspace_id=viewer.workspace_id) & Q(id__in=UnionOf(*windows, each_limited=True))


def projects_visible(viewer: Viewer) -> Q:
    """admin: all; staff: projects they are members or followers of, and every project of the
    clients they own or hold a share of; guests (people outside the firm's own teams): exactly
    the projects of the clients they hold a live share of: being a member or follower grants
    them nothing of its own, so everything ends with the share; clients: projects they or
    their organization follow, and the projects of the tasks the portal shows them."""
    require_signed_in(viewer)
    in_workspace = Q(workspace_id=viewer.workspace_id)
    if viewer.is_admin:
        return in_workspace
    if viewer.is_client:
        task_projects = Subquery(Task.filter(tasks_visible(viewer)).values("project_id"))
        return in_workspace & (Q(id__in=_followed_project_ids(viewer)) | Q(id__in=task_projects))
    reach = Q(client_id__in=list(viewer.client_access))
    if viewer.kind is ViewerKind.STAFF:
        reach |= Q(id__in=Subquery(ProjectMember.filter(user_id=viewer.user_id).values("project_id")))
        reach |= Q(id__in=Subquery(ProjectFollower.filter(user_id=viewer.user_id).values("project_id")))
    return in_workspace & reach


def shares_visible(viewer: Viewer) -> Q:
    """Shares are seen by admins, by the client's owner and by who holds them: the person shared
    with, or the members of the firm shared with."""
    require_signed_in(viewer)
    in_workspace = Q(organization__workspace_id=viewer.workspace_id)
    if viewer.is_admin:
        return in_workspace
    owned = [org for org, a in viewer.client_access.items() if a is ClientAccess.OWNER]
    return in_workspace & (Q(organization_id__in=owned) | held_by(viewer))


def held_by(viewer: Viewer) -> Q:
    """Shares the viewer holds: their own, and their partner firms'."""
    held = Q(user_id=viewer.user_id)
    if viewer.partner_ids:
        held |= Q(partner_id__in=list(viewer.partner_ids))
    return held


# --- Fields ---------------------------------------------------------------------------------


def sees_task_field(viewer: Viewer, task_field: TaskField) -> bool:
    """Clients see the task properties the portal settings enable; everyone else sees all."""
    if not viewer.is_client:
        return viewer.kind is not ViewerKind.ANONYMOUS
    return viewer.portal is not None and task_field in viewer.portal.visible_task_fields


def sees_money(viewer: Viewer) -> bool:
    """Budgets, rates, billed amounts and financial summaries: never for clients."""
    return viewer.kind not in (ViewerKind.CLIENT, ViewerKind.ANONYMOUS)


def sees_internal_records(viewer: Viewer) -> bool:
    """Internal messages and time entries: never for clients."""
    return sees_money(viewer)


def written_by_firm(author_organization_kind: OrganizationKind | None) -> bool:
    """Whether a message's author speaks for the firm: its staff, the people and partner firms
    it shares the client with, and the automation identity; a client organization's people
    speak for their client. Whoever reads a message may know which side wrote it, whereas the
    firm's own organizations stay hidden from clients (`organizations_visible`)."""
    return author_organization_kind is not OrganizationKind.CLIENT


def messages_visible(viewer: Viewer) -> Q:
    """The messages of a visible task or project the viewer reads: clients only PUBLIC ones."""
    return Q() if sees_internal_records(viewer) else Q(visibility=MessageVisibility.PUBLIC)


def sees_contact(viewer: Viewer, person: User) -> bool:
    """Email and phone, by the person's privacy level."""
    if viewer.is_admin or viewer.user_id == person.id:
        return True
    privacy = person.privacy
    if privacy is ContactPrivacy.HIDDEN_FROM_ALL:
        return False
    if privacy is ContactPrivacy.HIDDEN_FROM_CLIENTS:
        return not viewer.is_client
    return viewer.kind is not ViewerKind.ANONYMOUS


def sees_privacy_level(viewer: Viewer, person: User) -> bool:
    """Which privacy level a person chose is the firm's business (and the person's own)."""
    return not viewer.is_client or viewer.user_id == person.id


def sees_workspace_of(viewer: Viewer, person: User) -> bool:
    return viewer.is_admin or viewer.user_id == person.id


# --- Email: a channel of the same rules ----------------------------------------------------


class RecipientReason(StrEnum):
    REQUESTER = "REQUESTER"
    TASK_FOLLOWER = "TASK_FOLLOWER"
    PROJECT_FOLLOWER = "PROJECT_FOLLOWER"
    # Follows the item by their own choice, or a colleague's copy (ItemNotifications.FOLLOWING).
    SUBSCRIBED = "SUBSCRIBED"


def portal_shows_item(portal: PortalSettings, *, attached: bool, organization_requested: bool, follows_project: bool) -> bool:
    """Whether a client's portal shows an item, from the facts about it and the client: the
    rule of `tasks_visible` for one person and item (their scopes: requester or follower of it,
    a request of their organization, a project they or their organization follow)."""
    scopes = portal.scopes
    return (
        (PortalScope.OWN_REQUESTS in scopes and attached)
        or (PortalScope.ORGANIZATION_REQUESTS in scopes and organization_requested)
        or (PortalScope.FOLLOWED_PROJECTS in scopes and follows_project)
    )


def reads_public_messages(
    kind: ViewerKind,
    portal: PortalSettings | None,  # needed only for a client reached through following
    *,
    on_item: bool,
    attached: bool,
    holds_client: bool,
    on_project: bool,
    organization_requested: bool,
    follows_project: bool,
) -> bool:
    """Whether a person of the workspace reads the public messages of an item (`on_item`) or of
    a project's own conversation, and so is emailed them (conversations/audience.py gathers
    the facts). Attaching a client to an item (requester, item follower) is what lets them read
    it; a client reached otherwise (following the project, following the item by choice) reads
    an item's messages where the portal shows them that item (`portal_shows_item`) and its
    messages (MESSAGES): following an item grants nothing. A project's own conversation goes to
    its followers. Admins read every project; staff what `projects_visible` gives them: the
    projects they are on (`on_project`: a member or follower) and those of the clients they
    own or hold a live share of (`holds_client`); a guest reads a client's projects
    only while they own it or hold a live share of it. Being attached to an item grants staff and guests
    nothing of its own, as on the API."""
    if kind is ViewerKind.GUEST:
        return holds_client
    if kind is ViewerKind.STAFF:
        return on_project or holds_client
    if kind is not ViewerKind.CLIENT or not on_item or attached:
        return True
    return TaskField.MESSAGES in portal.visible_task_fields and portal_shows_item(
        portal, attached=False, organization_requested=organization_requested, follows_project=follows_project
    )


def emailed_public_messages(reads: bool, *, muted: bool) -> bool:
    """Who reads an item's public messages is emailed them, unless they muted the item. Muting
    changes nothing of what they read, or of their replying by email."""
    return reads and not muted


def counts_unread(viewer: Viewer) -> bool:
    """Whether an item's unread public messages count for the viewer: only where they read its
    messages (an unread marker would tell that there are some)."""
    return sees_task_field(viewer, TaskField.MESSAGES)


def sees_ratings(viewer: Viewer) -> bool:
    """Clients' ratings and their averages are the firm's: never shown to clients."""
    require_signed_in(viewer)
    return allowed_anywhere(viewer, Action.READ_RATINGS)


# --- Doing ----------------------------------------------------------------------------------


class Action(Enum):
    CREATE_INTERNAL_ORGANIZATION = "create internal organizations"
    CREATE_CLIENT = "create client organizations"
    # Both make people staff (or stop them being staff): the firm's own teams see everything.
    CHANGE_ORGANIZATION_KIND = "change an organization's kind"
    # Who is in a partner firm decides who reaches every client the firm holds.
    MANAGE_PARTNERS = "create partner firms and add or remove their members"
    ADD_STAFF = "add people to the firm's own teams"
    MANAGE_ORGANIZATION = "change an organization, its departments and contacts"
    SET_OTHERS_PRIVACY = "change other people's contact privacy"
    MANAGE_PORTAL_SETTINGS = "change the portal settings"
    SHARE_CLIENT = "share a client, change a share's role or expiry or revoke a share"
    CREATE_PROJECT = "create projects for this client"
    MANAGE_PROJECT = "manage this project (edit it and its tasks, log time, post messages)"
    GRANT_PROJECT_ACCESS = "add or remove this project's members, followers and requesters, or invite people to it"
    SEE_SHARE_CANDIDATES = "look people up to share clients with"
    READ_REPORTS = "read reports"
    READ_AUDIT_LOG = "read this audit log"
    PREVIEW_AS_CLIENT = "preview the portal as this client's people"
    READ_TARGET_SETTINGS = "read the working calendar and the response-time targets"
    MANAGE_TARGET_SETTINGS = "change the working calendar and the response-time targets"
    MANAGE_AUTOMATIONS = "create, change or delete automation rules of this project"
    READ_AUTOMATION_RUNS = "read the runs of automation rules"
    CHOOSE_ITEM_NOTIFICATIONS = "follow or mute an item"
    RESOLVE_ITEMS = "resolve and reopen the items you requested"
    RATE_ITEMS = "rate the resolved items you requested"
    COPY_COLLEAGUES = "copy colleagues of your organization on an item"
    READ_RATINGS = "read clients' ratings"
    SET_OWN_LANGUAGE = "choose your own language"


# Who may do what. A ViewerKind entry grants the action on anything in the workspace (staff:
# only inside the projects they are members of, when the action is about a project); a
# ClientAccess entry grants it only on the client organizations held with that access.
PERMISSIONS: dict[Action, frozenset[ViewerKind | ClientAccess]] = {
    Action.CREATE_INTERNAL_ORGANIZATION: frozenset({ViewerKind.ADMIN}),
    Action.CREATE_CLIENT: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF}),
    Action.CHANGE_ORGANIZATION_KIND: frozenset({ViewerKind.ADMIN}),
    Action.MANAGE_PARTNERS: frozenset({ViewerKind.ADMIN}),
    Action.ADD_STAFF: frozenset({ViewerKind.ADMIN}),
    Action.MANAGE_ORGANIZATION: frozenset({ViewerKind.ADMIN, ClientAccess.OWNER}),
    Action.SET_OTHERS_PRIVACY: frozenset({ViewerKind.ADMIN}),
    Action.MANAGE_PORTAL_SETTINGS: frozenset({ViewerKind.ADMIN}),
    Action.SHARE_CLIENT: frozenset({ViewerKind.ADMIN, ClientAccess.OWNER}),
    Action.CREATE_PROJECT: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ClientAccess.OWNER, ClientAccess.CSR}),
    Action.MANAGE_PROJECT: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ClientAccess.OWNER, ClientAccess.CSR}),
    # What an added member, follower or requester reaches is bounded by the rules of reading
    # above (a guest's membership counts only with a live share), so nobody who may grant this
    # can grant themselves more than they hold.
    Action.GRANT_PROJECT_ACCESS: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ClientAccess.OWNER, ClientAccess.CSR}),
    Action.SEE_SHARE_CANDIDATES: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ClientAccess.OWNER}),
    Action.READ_REPORTS: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ViewerKind.GUEST}),
    Action.READ_AUDIT_LOG: frozenset({ViewerKind.ADMIN, ClientAccess.OWNER}),
    # Seeing the portal exactly as one of the client's people sees it (read-only).
    Action.PREVIEW_AS_CLIENT: frozenset({ViewerKind.ADMIN, ClientAccess.OWNER, ClientAccess.CSR}),
    # The firm's side sees each item's targets; clients only where the portal shows them
    # (TaskField.RESPONSE_TARGETS), and never the firm's calendar or promises as a whole.
    Action.READ_TARGET_SETTINGS: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ViewerKind.GUEST}),
    Action.MANAGE_TARGET_SETTINGS: frozenset({ViewerKind.ADMIN}),
    # Who manages a project manages the rules limited to it (require_manage_rule); a rule of the
    # whole workspace is for admins. A rule's runs are read by who may manage the rule.
    Action.MANAGE_AUTOMATIONS: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ClientAccess.OWNER, ClientAccess.CSR}),
    Action.READ_AUTOMATION_RUNS: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ClientAccess.OWNER, ClientAccess.CSR}),
    # One's own emails of an item one sees (the lookup through tasks_visible is the check).
    Action.CHOOSE_ITEM_NOTIFICATIONS: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ViewerKind.CLIENT, ViewerKind.GUEST}),
    # The portal's client actions; the firm's side changes items with updateTask.
    Action.RESOLVE_ITEMS: frozenset({ViewerKind.CLIENT}),
    Action.RATE_ITEMS: frozenset({ViewerKind.CLIENT}),
    Action.COPY_COLLEAGUES: frozenset({ViewerKind.CLIENT}),
    # The firm's side, wherever it reads the items rated.
    Action.READ_RATINGS: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ViewerKind.GUEST}),
    # Everyone signed in, for themselves (a preview, read-only, is refused before it runs).
    Action.SET_OWN_LANGUAGE: frozenset({ViewerKind.ADMIN, ViewerKind.STAFF, ViewerKind.CLIENT, ViewerKind.GUEST}),
}


def can(
    viewer: Viewer,
    action: Action,
    *,
    organization_id: uuid.UUID | None = None,
    project: Project | None = None,
    project_member: bool = False,
) -> bool:
    """Whether the viewer may do `action` (on the given client organization or project);
    `project_member`: whether the viewer is a member of `project` (the caller reads it, for
    staff: projects.repository.is_member)."""
    allowed = PERMISSIONS[action]
    if viewer.kind is ViewerKind.ANONYMOUS:
        return False
    if viewer.kind in allowed and (viewer.kind is not ViewerKind.STAFF or project is None or project_member):
        return True
    if project is not None:
        organization_id = project.client_id
    if organization_id is None:
        return action is Action.SEE_SHARE_CANDIDATES and ClientAccess.OWNER in viewer.client_access.values()
    return viewer.client_access.get(organization_id) in allowed


def membership_matters(viewer: Viewer, action: Action) -> bool:
    """Whether `can` needs to know if the viewer is a member of the project."""
    return viewer.kind is ViewerKind.STAFF and ViewerKind.STAFF in PERMISSIONS[action]


def require(viewer: Viewer, action: Action, **on: object) -> None:
    """Refuse with FORBIDDEN. Callers fetch the object through a visibility filter first, so
    that what the viewer may not see answers NOT_FOUND instead."""
    require_signed_in(viewer)
    if not can(viewer, action, **on):
        raise Forbidden(f"You may not {action.value}.")


def require_privacy_change(viewer: Viewer, people: list[User]) -> None:
    """Admins change anyone's contact privacy; staff may change their own."""
    if viewer.kind is ViewerKind.STAFF and all(person.id == viewer.user_id for person in people):
        return
    require(viewer, Action.SET_OTHERS_PRIVACY)


def require_post_message(viewer: Viewer, project: Project, *, public: bool, project_member: bool) -> None:
    """Clients post PUBLIC replies where the portal settings allow; the firm's side posts
    where it manages the project."""
    if viewer.is_client:
        if not (public and client_may_reply(viewer)):
            raise Forbidden("You may not post this message.")
        return
    require(viewer, Action.MANAGE_PROJECT, project=project, project_member=project_member)


EMAIL_REPLY_REFUSED = "This address accepts no message from you."


def require_reply_by_email(viewer: Viewer, sender: str, *, in_audience: bool) -> None:
    """A reply by email speaks for the person of its reply address only when it comes from their
    address (`sender`, compared without case) and they still receive the conversation
    (`in_audience`: conversations/audience.py, read when the reply arrives); the message itself
    is then decided as any other (`require_post_message`). One refusal for every reason, so a
    stranger holding an address learns nothing about it."""
    if not (viewer.user and viewer.user.email and sender.casefold() == viewer.user.email.casefold() and in_audience):
        raise Forbidden(EMAIL_REPLY_REFUSED)


def client_may_submit(viewer: Viewer) -> bool:
    return viewer.is_client and viewer.portal is not None and viewer.portal.can_submit_items


def client_may_reply(viewer: Viewer) -> bool:
    return viewer.is_client and viewer.portal is not None and viewer.portal.can_post_messages


def require_removal(viewer: Viewer, project: Project, user_ids: list, *, project_member: bool) -> None:
    """Who may add a project's members and followers may remove them; anyone who sees a project
    may take themselves off it."""
    if user_ids and {parse_id(raw) for raw in user_ids} == {viewer.user_id}:
        return
    require(viewer, Action.GRANT_PROJECT_ACCESS, project=project, project_member=project_member)


INVITE_REFUSED = "This address cannot be invited into {organization}."


def require_members_apart(organization: Organization) -> None:
    """No one is made a member of a partner firm as their organization (a contact, an
    invitation): a firm's people stay guests, and join it through addPartnerMembers."""
    if organization.kind is OrganizationKind.PARTNER:
        raise BadUserInput("People join a partner firm through addPartnerMembers.", field="organization_id")


def require_invite_into(viewer: Viewer, organization: Organization) -> None:
    """Inviting into the firm's own teams makes staff; into a client, it grants its projects.
    Nobody is invited into a partner firm as its organization: its people stay guests."""
    require_signed_in(viewer)
    require_members_apart(organization)
    if organization.kind is not OrganizationKind.CLIENT:
        require(viewer, Action.ADD_STAFF)
    else:  # a consultant of one client managing another's project adds no one to the first
        require(viewer, Action.GRANT_PROJECT_ACCESS, organization_id=organization.id)


def require_invite(
    viewer: Viewer,
    organization: Organization,
    known: User | None,
    *,
    visible: bool,
    holds_live_share: bool,
    partner_member: bool,
) -> User | None:
    """Inviting an address into an organization: `known` is the person of the workspace the
    address belongs to (None for a new person), `visible` whether the inviter can see them,
    `holds_live_share` whether they hold a live share and `partner_member` whether they are in
    a partner firm (the caller reads these facts). Returns the person to invite, or None for a
    new one. People never move between organizations as a side effect of an invitation: a
    known person joins only if the inviter can see them and they have no organization, hold no
    live share, are in no partner firm and are not an admin (or are in the organization
    already). Every other known address is refused with the same words as one the inviter
    cannot see, so the answer tells nothing about people beyond the inviter's sight."""
    require_invite_into(viewer, organization)
    if known is None:
        return None
    if visible and known.organization_id == organization.id:
        return known
    outside = known.organization_id is None and not known.is_admin
    may_join = visible and outside and not holds_live_share and not partner_member
    if not may_join:
        raise BadUserInput(INVITE_REFUSED.format(organization=organization.name), field="email")
    return known


def require_partner(partner: Organization) -> None:
    if partner.kind is not OrganizationKind.PARTNER:
        raise BadUserInput(f"{partner.name} is not a partner firm.", field="partner_id")


def require_partner_member(viewer: Viewer, partner: Organization, person: User) -> None:
    """A partner firm's members are outside people: nobody of an organization of the workspace
    (staff would stop being staff, a client would reach other clients) and no admin. Admins
    alone change who is in a firm (`MANAGE_PARTNERS`); they see everyone, so naming the reason
    tells them nothing new."""
    require(viewer, Action.MANAGE_PARTNERS)
    require_partner(partner)
    if person.organization_id is not None or person.is_admin:
        raise BadUserInput(
            f"{person.name} belongs to the workspace's own people and cannot join {partner.name}.", field="invitees"
        )


def require_partner_removal(viewer: Viewer, partner: Organization, user_ids: list) -> None:
    """Admins take people out of a firm; a member may leave it."""
    require_partner(partner)
    if user_ids and {parse_id(raw) for raw in user_ids} == {viewer.user_id}:
        return
    require(viewer, Action.MANAGE_PARTNERS)


def require_kind_change(viewer: Viewer, organization: Organization, kind: OrganizationKind) -> None:
    """Who may change an organization's kind: admins. A partner firm is never made another kind
    nor another organization a partner: their people and their shares mean different things."""
    require(viewer, Action.CHANGE_ORGANIZATION_KIND)
    if OrganizationKind.PARTNER in (organization.kind, kind):
        raise BadUserInput("A partner firm stays a partner firm, and no other organization becomes one.", field="kind")


def create_organization_action(kind: OrganizationKind) -> Action:
    return {
        OrganizationKind.CLIENT: Action.CREATE_CLIENT,
        OrganizationKind.INTERNAL: Action.CREATE_INTERNAL_ORGANIZATION,
        OrganizationKind.PARTNER: Action.MANAGE_PARTNERS,
    }[kind]


PREVIEW_REFUSED = "You may not preview the portal as this person."
PREVIEW_READ_ONLY = "A preview is read-only: nothing can be changed while previewing the portal as a client."


def require_preview(previewer: Viewer, person: User | None, organization: Organization | None) -> None:
    """Preview as a client (the `Clientela-View-As` header): `previewer` may see the portal as
    `person` (read by id in the previewer's workspace, with `organization`, their organization;
    None when there is no such person) only if `person` is a client person (a member of a CLIENT
    organization, not an admin) of the previewer's workspace and the previewer may
    `PREVIEW_AS_CLIENT` that organization: admins, its OWNER and its CSRs (a live share). Every
    other id (unknown, of another workspace, staff, a client the previewer does not hold, the
    previewer's own) is refused with the same words, so the answer tells nothing about who
    exists. A signed-out previewer is UNAUTHENTICATED."""
    require_signed_in(previewer)
    is_client_person = (
        person is not None
        and organization is not None
        and person.workspace_id == previewer.workspace_id
        and person.organization_id == organization.id
        and person.id != previewer.user_id
        and kind_of(person, organization) is ViewerKind.CLIENT
    )
    if not (is_client_person and can(previewer, Action.PREVIEW_AS_CLIENT, organization_id=organization.id)):
        raise Forbidden(PREVIEW_REFUSED)


def require_not_previewing(previewing: bool) -> None:
    """Every write is refused during a preview, before it reads or changes anything."""
    if previewing:
        raise Forbidden(PREVIEW_READ_ONLY)


def require_filterable(viewer: Viewer, task_field: TaskField, argument: str) -> None:
    """A field the viewer may not read cannot be filtered on either: which items match would
    tell its value. Refused, so that the answer never depends on the hidden value."""
    if not sees_task_field(viewer, task_field):
        raise BadUserInput(f"Items cannot be filtered by {argument} here.", field=argument)


def tasks_counted(viewer: Viewer) -> Q | None:
    """The tasks an aggregate (time totals of a project) may count for this viewer: a client's
    figures count only the items the client sees; None: every task of a visible project."""
    return tasks_visible(viewer) if viewer.is_client else None


# --- Files ---------------------------------------------------------------------------------


def sees_attachments(viewer: Viewer) -> bool:
    """Files: the firm's side sees those of everything it sees; clients only where the portal
    settings list ATTACHMENTS."""
    return sees_task_field(viewer, TaskField.ATTACHMENTS)


def reads_files_of_messages(kind: ViewerKind, portal: PortalSettings | None) -> bool:
    """Whether who reads a message reads its files too: the firm's side does; a client only
    where the portal settings list ATTACHMENTS and MESSAGES. `files_visible` asks it of a
    viewer, and the emails of a public message of each recipient (mail/attachments.py)."""
    if kind is not ViewerKind.CLIENT:
        return kind is not ViewerKind.ANONYMOUS
    return portal is not None and {TaskField.ATTACHMENTS, TaskField.MESSAGES} <= portal.visible_task_fields


def files_visible(viewer: Viewer) -> Q:
    """Who reads a file is who reads what it hangs on: a task's files follow `tasks_visible`, a
    message's the message (`messages_visible`, on a visible task or project: INTERNAL ones never
    reach clients, nor messages where the portal hides MESSAGES), and a pending file (on
    nothing yet) is its uploader's alone. Clients see none without ATTACHMENTS."""
    require_signed_in(viewer)
    if not sees_attachments(viewer):
        return Q(pk__in=[])
    own_pending = Q(uploaded_by_id=viewer.user_id, task_id__isnull=True, message_id__isnull=True)
    tasks = Subquery(Task.filter(tasks_visible(viewer)).values("id"))
    reach = own_pending | Q(task_id__in=tasks)
    if reads_files_of_messages(viewer.kind, viewer.portal):
        projects = Subquery(Project.filter(projects_visible(viewer)).values("id"))
        conversations = Q(task_id__in=tasks) | Q(task_id__isnull=True, project_id__in=projects)
        messages = Message.filter(messages_visible(viewer), conversations, workspace_id=viewer.workspace_id)
        reach |= Q(message_id__in=Subquery(messages.values("id")))
    return Q(workspace_id=viewer.workspace_id) & reach


def may_upload(viewer: Viewer) -> bool:
    """Who may attach files somewhere may upload them: the firm's side where it manages a
    project; clients where the portal shows attachments and lets them submit items or reply.
    A reply by email keeps its attachments only for who may (inbound/attachments.py)."""
    if viewer.kind is ViewerKind.ANONYMOUS:
        return False
    if viewer.is_client:
        return sees_attachments(viewer) and (client_may_submit(viewer) or client_may_reply(viewer))
    return allowed_anywhere(viewer, Action.MANAGE_PROJECT)


def require_upload(viewer: Viewer) -> None:
    require_signed_in(viewer)
    if not may_upload(viewer):
        raise Forbidden("You may not upload files.")


def require_attaching(viewer: Viewer) -> None:
    """Clients attach files only where the portal shows attachments; the firm's side wherever
    the caller's own check lets them change the task or post the message."""
    require_signed_in(viewer)
    if viewer.is_client and not sees_attachments(viewer):
        raise Forbidden("Attaching files is not enabled for you.")


def require_attachable(viewer: Viewer, files: list[StoredFile]) -> None:
    """Files are attached by who uploaded them, once: each of `files` (read through
    `files_visible`, so someone else's pending file was NOT_FOUND before this) must be the
    viewer's own pending upload."""
    for file in files:
        if file.uploaded_by_id != viewer.user_id or file.task_id is not None or file.message_id is not None:
            raise BadUserInput(f"The file {file.name} is attached already.", field="file_ids")


def require_file_removal(viewer: Viewer, file: StoredFile, project: Project | None, *, project_member: bool) -> None:
    """A file (read through `files_visible`) is removed by its uploader, while they still see
    it, or by who manages the project of the task or message it hangs on (`project`; None for
    a pending file)."""
    require_signed_in(viewer)
    if file.uploaded_by_id == viewer.user_id:
        return
    if project is None:
        raise Forbidden("You may not remove this file.")
    require(viewer, Action.MANAGE_PROJECT, project=project, project_member=project_member)


# --- Following up in the portal: resolving, rating, copying colleagues -------------------------


def may_resolve(viewer: Viewer, *, requester: bool) -> bool:
    """Whether the viewer may resolve and reopen an item (`requester`: they requested it); the
    portal asks it to offer the control, `require_resolve` to allow the change."""
    allowed = viewer.portal is not None and viewer.portal.can_resolve_items
    return can(viewer, Action.RESOLVE_ITEMS) and allowed and requester and sees_task_field(viewer, TaskField.STATUS)


def may_rate(viewer: Viewer, *, requester: bool) -> bool:
    """Whether the viewer may rate an item once it is resolved (`requester`: they requested it)."""
    return can(viewer, Action.RATE_ITEMS) and requester and sees_task_field(viewer, TaskField.STATUS)


def require_resolve(viewer: Viewer, *, requester: bool, resolved: bool, resolving: bool) -> None:
    """A client resolves (DONE) or reopens an item they requested (`requester`), where the
    portal settings allow it (canResolveItems) and show the status: a client acts on a state
    they see, so that the answer tells nothing hidden. Resolving a resolved item, or reopening
    one that is not, is bad input."""
    require(viewer, Action.RESOLVE_ITEMS)
    if not may_resolve(viewer, requester=requester):
        raise Forbidden(f"You may not {'resolve' if resolving else 'reopen'} this item.")
    if resolved == resolving:
        raise BadUserInput(f"The item is {'resolved' if resolved else 'not resolved'} already.", field="task_id")


def require_rating(viewer: Viewer, *, requester: bool, resolved: bool) -> None:
    """A client rates an item they requested, once it is resolved, where they see its status."""
    require(viewer, Action.RATE_ITEMS)
    if not may_rate(viewer, requester=requester):
        raise Forbidden("You may rate only the items you requested.")
    if not resolved:
        raise BadUserInput("Only a resolved item can be rated.", field="task_id")


def require_copy(viewer: Viewer, colleagues: list[User], *, shown: set[uuid.UUID]) -> None:
    """A client copies colleagues on an item they see: people of their own CLIENT organization
    (not themselves, not an admin) whom the portal shows the item already (`shown`: those
    of them `portal_shows_item` says it of, which the caller reads). Being copied makes them
    follow it (their notifications), which grants nothing, so a copy never widens who reads an
    item; anyone else is refused with the same words, naming nobody."""
    require(viewer, Action.COPY_COLLEAGUES)
    if not colleagues:
        raise BadUserInput("Name at least one person.", field="user_ids")
    for person in colleagues:
        colleague = person.organization_id == viewer.organization_id and person.id != viewer.user_id and not person.is_admin
        if not (colleague and person.id in shown):
            raise BadUserInput("Only colleagues who see this item can be copied on it.", field="user_ids")


# --- Automations ----------------------------------------------------------------------------


def projects_allowing(viewer: Viewer, action: Action) -> Q:
    """The projects on which the viewer may do `action`, as a filter: the rule of `can` for a
    page of projects. A kind in the table allows every project (staff: those they are members
    of); a client access, the projects of the clients held with it."""
    require_signed_in(viewer)
    allowed = PERMISSIONS[action]
    in_workspace = Q(workspace_id=viewer.workspace_id)
    if viewer.kind in allowed and viewer.kind is not ViewerKind.STAFF:
        return in_workspace
    reach = Q(client_id__in=[org for org, access in viewer.client_access.items() if access in allowed])
    if viewer.kind in allowed:
        reach |= Q(id__in=Subquery(ProjectMember.filter(user_id=viewer.user_id).values("project_id")))
    return in_workspace & reach


def allowed_anywhere(viewer: Viewer, action: Action) -> bool:
    """Whether the table grants `action` to the viewer on anything: by their kind, or on a
    client they hold."""
    allowed = PERMISSIONS[action]
    return viewer.kind in allowed or any(access in allowed for access in viewer.client_access.values())


def require_automations_reader(viewer: Viewer) -> None:
    """Clients never see rules or runs, not even that there are none."""
    require_signed_in(viewer)
    if not allowed_anywhere(viewer, Action.READ_AUTOMATION_RUNS):
        raise Forbidden(f"You may not {Action.READ_AUTOMATION_RUNS.value}.")


def automation_rules_visible(viewer: Viewer) -> Q:
    """Admins see every rule; anyone else the rules limited to projects that they all manage
    (a rule of the whole workspace, or one that also acts on others' projects, is not theirs)."""
    require_signed_in(viewer)
    in_workspace = Q(workspace_id=viewer.workspace_id)
    if viewer.is_admin:
        return in_workspace
    if viewer.is_client:
        return Q(pk__in=[])
    managed = Subquery(Project.filter(projects_allowing(viewer, Action.MANAGE_AUTOMATIONS)).values("id"))
    scoped = Subquery(AutomationRuleProject.all().values("rule_id"))
    elsewhere = Subquery(AutomationRuleProject.exclude(project_id__in=managed).values("rule_id"))
    return in_workspace & Q(id__in=scoped) & ~Q(id__in=elsewhere)


def automation_runs_visible(viewer: Viewer) -> Q:
    """The runs of the rules one sees (a deleted rule's runs: admins only)."""
    require_signed_in(viewer)
    if viewer.is_admin:
        return Q(workspace_id=viewer.workspace_id)
    return Q(rule_id__in=Subquery(AutomationRule.filter(automation_rules_visible(viewer)).values("id")))


def require_manage_rule(viewer: Viewer, scope: list[Project], member_of: set[uuid.UUID]) -> None:
    """A rule limited to `scope` (projects fetched through `projects_visible`; empty: the whole
    workspace) may be made, changed or deleted by who may MANAGE_AUTOMATIONS every project of
    it (`member_of`: the projects of `scope` the viewer is a member of, which the caller reads).
    A change is checked against the old scope and the new: nobody takes over a rule that also
    acts elsewhere, nor widens theirs to projects they do not manage."""
    require_signed_in(viewer)
    if viewer.is_client:
        raise Forbidden(f"You may not {Action.MANAGE_AUTOMATIONS.value}.")
    if not scope and not viewer.is_admin:
        raise Forbidden("Only admins may manage automation rules of the whole workspace.")
    for project in scope:
        require(viewer, Action.MANAGE_AUTOMATIONS, project=project, project_member=project.id in member_of)


def automation_viewer(identity: User) -> Viewer:
    """Who a rule's actions are done as: the workspace's automation identity, with the reach of
    the workspace (what a rule may do was checked when it was saved, against who saved it)."""
    return Viewer(kind=ViewerKind.ADMIN, user=identity, workspace_id=identity.workspace_id)
