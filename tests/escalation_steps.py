"""The steps of tests/test_escalation.py: the names of the seeded world's things, what each rule
does (named tuples, printed as hypothesis's minimal example) and the strategies that draw them,
weighted toward what each actor works with."""

from __future__ import annotations

import os
from collections import namedtuple
from datetime import timedelta

from hypothesis import strategies as st

# --- Names of things ------------------------------------------------------------------------

ACTORS = ("admin", "staff", "owner", "csr", "consultant", "member", "client", "other_client", "guest", "foreign_admin")
VIEWERS = (*ACTORS, "outsider_staff")
PEOPLE = (
    "csr",
    "consultant",
    "guest",
    "member",
    "staff",
    "client",
    "other_client",
    "owner",
    "outsider_staff",
    "admin",
    "person#1",
    "person#2",
    "foreign_admin",
)
EMAILS = (
    "guest",
    "consultant",
    "csr",
    "member",
    "fresh",
    "client",
    "other_client",
    "staff",
    "outsider_staff",
    "person#1",
    "admin",
    "foreign_admin",
)
ORGS = ("acme", "globex", "team", "firm", "initech", "org#1", "org#2", "foreign_team")
# Partner firms: the seeded one, those the run creates, and organizations of other kinds (refused).
FIRMS = ("firm", "firm", "firm", "org#1", "acme", "team", "foreign_team")
PROJECTS = ("acme_project", "globex_project", "internal_project", "initech_project", "project#1", "project#2", "foreign_project")
TASKS = ("acme_task", "acme_task2", "globex_task", "globex_task2", "internal_task", "task#1", "task#2", "foreign_task")
SHARES = ("csr_share", "consultant_share", "guest_share", "expired_share", "firm_share", "share#1", "share#2")
EXPIRIES = (None, None, "in a month", "tomorrow", "yesterday")
EXPIRY_OFFSETS = {"in a month": timedelta(days=30), "tomorrow": timedelta(days=1), "yesterday": timedelta(days=-1)}
SCOPES = ("OWN_REQUESTS", "ORGANIZATION_REQUESTS", "FOLLOWED_PROJECTS")
FIELDS = (
    "DESCRIPTION",
    "STATUS",
    "PRIORITY",
    "DUE_DATE",
    "LABELS",
    "ASSIGNEE",
    "REQUESTERS",
    "FOLLOWERS",
    "MESSAGES",
    "ESTIMATED_TIME",
    "TIME_SPENT",
    "COST",
)
STATUSES = ("DONE", "OPEN", "IN_PROGRESS", "ON_HOLD")
LABELS = ("billing", "web", "secret")
LIVE = ("PENDING", "ACCEPTED")
MISSING_ID = "00000000-0000-7000-8000-000000000000"  # an id that names nothing
REPORT_FROM, REPORT_TO, LOG_DATE = "2026-01-01", "2027-12-31", "2026-11-03"

NATURAL_PROJECTS = {
    "admin": ("acme_project", "globex_project", "internal_project", "project#1"),
    "staff": ("acme_project", "internal_project", "project#1"),
    "owner": ("acme_project", "project#1"),
    "csr": ("acme_project", "project#1"),
    "consultant": ("acme_project",),
    "client": ("acme_project",),
    "other_client": ("globex_project",),
    "guest": ("globex_project",),
    "member": ("acme_project", "initech_project"),
    "foreign_admin": ("acme_project", "foreign_project"),
}
NATURAL_TASKS = {
    "admin": ("acme_task", "acme_task2", "globex_task2", "internal_task", "task#1"),
    "staff": ("acme_task2", "acme_task", "internal_task", "task#1"),
    "owner": ("acme_task2", "acme_task", "task#1"),
    "csr": ("acme_task2", "acme_task", "task#1"),
    "consultant": ("acme_task",),
    "client": ("acme_task", "acme_task2", "task#1"),
    "other_client": ("globex_task", "globex_task2"),
    "guest": ("globex_task2",),
    "member": ("acme_task", "acme_task2"),
    "foreign_admin": ("acme_task", "foreign_task"),
}
NATURAL_ORGS = {
    "admin": ("acme", "team", "globex", "org#1"),
    "staff": ("org#1", "acme", "team", "globex"),
    "owner": ("acme", "org#1"),
    "csr": ("acme",),
    "consultant": ("acme",),
    "client": ("acme",),
    "other_client": ("globex",),
    "guest": ("globex",),
    "member": ("acme", "firm"),
    "foreign_admin": ("acme", "foreign_team"),
}

# Inviting into the firm's own team makes staff: those who can see the team try it often.
INVITE_ORGS = NATURAL_ORGS | {"staff": ("team", "acme", "org#1"), "owner": ("acme", "team"), "admin": ("team", "acme", "globex")}

# --- Steps: what a rule does, printed as hypothesis's minimal example ---------------------

ShareOrganization = namedtuple("ShareOrganization", "actor organization invitee by role expires", defaults=(None,))
SharePartner = namedtuple("SharePartner", "actor organization partner role expires")
CreatePartner = namedtuple("CreatePartner", "actor")
PartnerMembers = namedtuple("PartnerMembers", "op actor partner users by")
ChangeShare = namedtuple("ChangeShare", "op actor share role expires", defaults=(None,))
TimePasses = namedtuple("TimePasses", "share")
AddProjectMembers = namedtuple("AddProjectMembers", "actor project users")
RemoveProjectMembers = namedtuple("RemoveProjectMembers", "actor project users")
FollowProject = namedtuple("FollowProject", "op actor project users organizations")
AddTaskPeople = namedtuple("AddTaskPeople", "op actor task users")
InviteToProject = namedtuple("InviteToProject", "actor project organization email_of")
CreateOrganization = namedtuple("CreateOrganization", "actor kind")
UpdateOrganization = namedtuple("UpdateOrganization", "actor organization kind")
AddContact = namedtuple("AddContact", "actor organization email_of")
ProjectClient = namedtuple("ProjectClient", "op actor project client")
CreateTask = namedtuple("CreateTask", "op actor project status labels requesters")
UpdatePortalSettings = namedtuple("UpdatePortalSettings", "actor scopes fields")
TaskActivity = namedtuple("TaskActivity", "op actor task")
ReadProjectTasks = namedtuple("ReadProjectTasks", "actor project status labels")
PreviewAsClient = namedtuple("PreviewAsClient", "actor person operation")
SetItemNotifications = namedtuple("SetItemNotifications", "actor task level")
CcColleagues = namedtuple("CcColleagues", "actor task users")


def pick(*items):
    return st.sampled_from(items)


ONLY_ACTORS = {a.strip() for a in os.environ.get("CLIENTELA_ESCALATION_ACTORS", "").split(",") if a.strip()}


def actors(*names):
    """An actor, the first ones (those who may do the thing) twice as often as the others."""
    capable, others = names[:4], names[4:]
    if ONLY_ACTORS:
        capable, others = tuple(n for n in capable if n in ONLY_ACTORS), tuple(n for n in others if n in ONLY_ACTORS)
        if not capable + others:
            return st.nothing()
    return st.sampled_from(capable * 2 + others)


def mostly(actor: str, others):
    """That actor half of the time (unless actors are restricted without them), else the others."""
    if ONLY_ACTORS and actor not in ONLY_ACTORS:
        return others
    return st.one_of(st.just(actor), others)


def natural_or_any(natural: dict, everything: tuple, actor: str):
    """Mostly what the actor works with, sometimes anything (other clients, other workspace,
    objects not created yet)."""
    return st.one_of(st.sampled_from(natural[actor]), st.sampled_from(natural[actor]), st.sampled_from(everything))


def users_for(actor: str):
    """Oneself, or someone outside the firm (who must not reach more than their shares), or anyone."""
    return st.one_of(
        st.just((actor,)),
        st.sampled_from(("guest", "consultant", "csr")).map(lambda p: (p,)),
        st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=2, unique=True).map(tuple),
    )


@st.composite
def share_steps(draw):
    actor = draw(actors("owner", "admin", "staff", "csr", "consultant", "member", "client", "guest", "foreign_admin"))
    organization = draw(natural_or_any(NATURAL_ORGS, ORGS, actor))
    invitee = draw(
        pick(
            "guest",
            "consultant",
            "csr",
            "member",
            "staff",
            "outsider_staff",
            "fresh",
            "client",
            "other_client",
            "person#1",
            actor,
        )
    )
    return ShareOrganization(
        actor, organization, invitee, draw(pick("email", "userId")), draw(pick("CSR", "CONSULTANT")), draw(pick(*EXPIRIES))
    )


@st.composite
def share_partner_steps(draw):
    """A client shared with a whole partner firm (or with an organization that is none)."""
    actor = draw(
        mostly("owner", actors("owner", "admin", "staff", "csr", "member", "consultant", "client", "guest", "foreign_admin"))
    )
    organization = draw(natural_or_any(NATURAL_ORGS, ORGS, actor))
    return SharePartner(actor, organization, draw(pick("firm", *FIRMS)), draw(pick("CSR", "CONSULTANT")), draw(pick(*EXPIRIES)))


@st.composite
def create_partner_steps(draw):
    return CreatePartner(draw(actors("admin", "staff", "owner", "member", "csr", "client", "foreign_admin")))


@st.composite
def partner_member_steps(draw, op):
    """People joining a firm, mostly by the admin (who alone may add them): outside people, and
    staff, clients, admins and oneself, who may never join; or leaving it, mostly its members,
    by those who see the firm (the admin, staff, its members): only the admin takes anyone out."""
    everyone = actors("admin", "member", "staff", "owner", "csr", "consultant", "guest", "client", "foreign_admin")
    actor = draw(mostly("admin", everyone) if op == "AddPartnerMembers" else everyone)
    insiders = ("staff", "client", "owner", "outsider_staff", "other_client", "admin")
    members = ("member", "consultant", "guest", "csr", "person#1", "person#2")
    users = draw(
        st.one_of(
            st.just((actor,)),
            pick("consultant", "guest", "csr", "member", "fresh").map(lambda p: (p,)),
            pick(*(insiders if op == "AddPartnerMembers" else members)).map(lambda p: (p,)),
            pick(*(insiders if op == "AddPartnerMembers" else members)).map(lambda p: (p,)),
            st.lists(st.sampled_from(("fresh", *PEOPLE)), min_size=1, max_size=2, unique=True).map(tuple),
        )
    )
    return PartnerMembers(op, actor, draw(pick("firm", *FIRMS)), users, draw(pick("userId", "email")))


@st.composite
def leave_partner_steps(draw):
    """A member leaves their firm (or someone not in it tries; or someone else takes the member out)."""
    actor = draw(actors("member", "consultant", "guest", "staff", "csr", "owner", "client"))
    users = draw(st.one_of(st.just((actor,)), st.just(("member",))))
    return PartnerMembers("RemovePartnerMembers", actor, draw(pick("firm", "firm", "org#1")), users, "userId")


@st.composite
def change_share_steps(draw):
    op = draw(pick("RevokeShare", "RevokeShare", "SetShareRole", "SetShareExpiry"))
    actor = draw(actors("admin", "owner", "csr", "member", "staff", "consultant", "guest", "foreign_admin"))
    role = draw(pick("CSR", "CONSULTANT")) if op == "SetShareRole" else None
    # A holder extending their own share (or the expired one) is the move to try most.
    expires = draw(pick("in a month", "never")) if op == "SetShareExpiry" else None
    return ChangeShare(op, actor, draw(pick(*SHARES)), role, expires)


@st.composite
def member_steps(draw, kind=AddProjectMembers):
    actor = draw(actors("csr", "staff", "owner", "admin", "consultant", "member", "guest", "client", "foreign_admin"))
    return kind(actor, draw(natural_or_any(NATURAL_PROJECTS, PROJECTS, actor)), draw(users_for(actor)))


@st.composite
def follow_steps(draw):
    op = draw(pick("FollowProject", "UnfollowProject"))
    actor = draw(actors("csr", "staff", "owner", "admin", "consultant", "guest", "client", "foreign_admin"))
    project = draw(natural_or_any(NATURAL_PROJECTS, PROJECTS, actor))
    users = draw(st.one_of(users_for(actor), st.just(())))
    organizations = draw(st.lists(natural_or_any(NATURAL_ORGS, ORGS, actor), max_size=1).map(tuple))
    return FollowProject(op, actor, project, users, organizations)


@st.composite
def task_people_steps(draw):
    op = draw(pick("AddTaskRequesters", "AddTaskFollowers"))
    actor = draw(actors("csr", "staff", "owner", "admin", "consultant", "member", "guest", "client", "foreign_admin"))
    return AddTaskPeople(op, actor, draw(natural_or_any(NATURAL_TASKS, TASKS, actor)), draw(users_for(actor)))


@st.composite
def invite_steps(draw):
    actor = draw(actors("csr", "owner", "staff", "admin", "consultant", "member", "guest", "client", "foreign_admin"))
    project = draw(natural_or_any(NATURAL_PROJECTS, PROJECTS, actor))
    organization = draw(natural_or_any(INVITE_ORGS, ORGS, actor))
    email_of = draw(st.one_of(st.just("fresh"), pick("guest", "consultant", "csr", "member"), pick(*EMAILS)))
    return InviteToProject(actor, project, organization, email_of)


@st.composite
def create_organization_steps(draw):
    return CreateOrganization(
        draw(actors("staff", "owner", "admin", "csr", "client", "foreign_admin")), draw(pick("CLIENT", "INTERNAL"))
    )


@st.composite
def update_organization_steps(draw):
    # Changing a kind is the admin's (to INTERNAL: its people become staff, its shares grant nothing).
    actor = draw(mostly("admin", actors("owner", "staff", "admin", "csr", "client", "foreign_admin")))
    organization = draw(natural_or_any(NATURAL_ORGS, ORGS, actor))
    return UpdateOrganization(actor, organization, draw(pick("INTERNAL", "INTERNAL", "CLIENT", "PARTNER", None)))


@st.composite
def contact_steps(draw):
    actor = draw(actors("staff", "owner", "admin", "csr", "client", "foreign_admin"))
    organization = draw(natural_or_any(NATURAL_ORGS, ORGS, actor))
    return AddContact(actor, organization, draw(pick("fresh", "fresh", "fresh", "guest", "consultant", "member", "client")))


@st.composite
def project_client_steps(draw):
    op = draw(pick("CreateProject", "UpdateProject", "AssignClientToProjects"))
    actor = draw(actors("csr", "staff", "owner", "admin", "consultant", "member", "guest", "client", "foreign_admin"))
    project = draw(natural_or_any(NATURAL_PROJECTS, PROJECTS, actor))
    client = draw(st.one_of(natural_or_any(NATURAL_ORGS, ORGS, actor), st.none()))
    return ProjectClient(op, actor, project, client)


@st.composite
def create_task_steps(draw):
    op = draw(pick("CreateTask", "SubmitItem"))
    actor = draw(actors("staff", "csr", "client", "owner", "admin", "other_client", "consultant", "guest", "foreign_admin"))
    project = draw(natural_or_any(NATURAL_PROJECTS, PROJECTS, actor))
    status = draw(pick(*STATUSES))
    labels = draw(st.lists(pick(*LABELS), max_size=2, unique=True).map(tuple))
    requesters = draw(st.lists(pick(*PEOPLE), max_size=1).map(tuple))
    return CreateTask(op, actor, project, status, labels, requesters)


@st.composite
def portal_settings_steps(draw):
    actor = draw(actors("admin", "staff", "owner", "client", "foreign_admin"))
    scopes = draw(st.lists(pick(*SCOPES), unique=True).map(lambda s: tuple(sorted(s))))
    fields = draw(st.lists(pick(*FIELDS), unique=True).map(lambda f: tuple(sorted(f))))
    return UpdatePortalSettings(actor, scopes, fields)


@st.composite
def activity_steps(draw):
    op = draw(pick("LogTime", "PostMessage:INTERNAL"))
    actor = draw(
        actors("staff", "csr", "client", "owner", "admin", "consultant", "member", "other_client", "guest", "foreign_admin")
    )
    return TaskActivity(op, actor, draw(natural_or_any(NATURAL_TASKS, TASKS, actor)))


@st.composite
def public_message_steps(draw):
    op = draw(pick("PostMessage:PUBLIC", "PostMessage:PUBLIC", "PortalReply"))
    actor = draw(
        actors("staff", "admin", "csr", "client", "owner", "other_client", "consultant", "member", "guest", "foreign_admin")
    )
    return TaskActivity(op, actor, draw(natural_or_any(NATURAL_TASKS, TASKS, actor)))


@st.composite
def read_steps(draw):
    actor = draw(actors("client", "other_client", "csr", "consultant", "member", "guest", "staff", "owner"))
    project = draw(natural_or_any(NATURAL_PROJECTS, PROJECTS, actor))
    if draw(st.booleans()):
        return ReadProjectTasks(actor, project, draw(pick(*STATUSES)), None)
    return ReadProjectTasks(actor, project, None, draw(st.lists(pick(*LABELS), min_size=1, max_size=2, unique=True).map(tuple)))


@st.composite
def notice_steps(draw):
    """Following or muting an item (anyone), or copying colleagues on it (a client's): mostly
    the client people, on their items, naming their colleagues, themselves and others."""
    everyone = actors("client", "other_client", "staff", "consultant", "csr", "member", "guest", "admin", "foreign_admin")
    if draw(st.booleans()):
        actor = draw(everyone)
        return SetItemNotifications(
            actor, draw(natural_or_any(NATURAL_TASKS, TASKS, actor)), draw(pick("FOLLOWING", "MUTED", "DEFAULT"))
        )
    actor = draw(mostly("client", everyone))
    # Acme's colleague, or one a run adds, are the colleagues to copy.
    users = draw(
        st.one_of(
            pick("colleague", "person#1").map(lambda p: (p,)),
            st.lists(
                pick("colleague", "person#1", "client", "other_client", "staff", "guest"), min_size=1, max_size=2, unique=True
            ).map(tuple),
        )
    )
    return CcColleagues(actor, draw(natural_or_any(NATURAL_TASKS, TASKS, actor)), users)


SET_NOTIFICATIONS = (
    "mutation($taskId: ID!, $level: ItemNotifications!) { setItemNotifications(taskId: $taskId, notifications: $level) { id } }"
)
CC_COLLEAGUES = "mutation($taskId: ID!, $userIds: [ID!]!) { ccColleagues(taskId: $taskId, userIds: $userIds) { id } }"


# A preview as a client (the Clientela-View-As header): reads, and writes that must be refused.
PREVIEW_READS = ("PortalHome", "Viewer")
PREVIEW_WRITES = ("SubmitItem", "PortalReply", "AddProjectMembers", "LogOut")


@st.composite
def preview_steps(draw):
    actor = draw(actors("admin", "owner", "csr", "member", "staff", "consultant", "client", "guest", "foreign_admin"))
    person = draw(st.one_of(pick("client"), pick("client", "other_client"), pick(*PEOPLE)))
    return PreviewAsClient(actor, person, draw(pick(*PREVIEW_READS, *PREVIEW_READS, *PREVIEW_WRITES)))
