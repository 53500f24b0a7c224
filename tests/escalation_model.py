"""The independent model of tests/test_escalation.py: every row read with raw SQL, and plain
Python over them saying who must and may reach what; it never calls clientela.policy. And the
seeded world the machine starts each example from."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from tortoise import Tortoise, connections

from escalation_steps import LIVE
from support import Factory, build_world

# --- The independent model: rows read with raw SQL --------------------------------------------


def row_id(value) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def _when(value) -> datetime | None:
    """A timestamp as either driver gives it (SQLite: text; PostgreSQL: datetime), in UTC."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


DEFAULT_PORTAL = yaml.safe_load((Path(__file__).parents[1] / "portal-config" / "default.yaml").read_text())


@dataclass
class Snapshot:
    """Every row the policy depends on, both workspaces."""

    people: dict = field(default_factory=dict)  # id -> {workspace, organization, admin, email}
    orgs: dict = field(default_factory=dict)  # id -> {workspace, kind, owner}
    shares: dict = field(default_factory=dict)  # id -> {organization, user, partner, role, status, expires}
    firm_members: set = field(default_factory=set)  # (partner firm, user)
    projects: dict = field(default_factory=dict)  # id -> {workspace, client}
    members: set = field(default_factory=set)  # (project, user)
    followers: set = field(default_factory=set)  # (project, user or None, organization or None)
    tasks: dict = field(default_factory=dict)  # id -> {workspace, project, status, labels}
    requesters: set = field(default_factory=set)  # (task, user)
    task_followers: set = field(default_factory=set)  # (task, user)
    minutes: dict = field(default_factory=dict)  # task -> minutes logged
    portal: dict = field(default_factory=dict)  # workspace -> (scopes, fields)
    messages: dict = field(default_factory=dict)  # id -> {task, author, visibility}
    outbox: dict = field(default_factory=dict)  # id -> {workspace, kind, recipient, about, to}
    # (task, requester) -> the requester's organization when they were made requester; kept by
    # the machine across steps (people may join an organization later: that brings no request).
    request_org: dict = field(default_factory=dict)
    subscriptions: dict = field(default_factory=dict)  # (task, user) -> FOLLOWING or MUTED

    @classmethod
    def of(cls, tables: dict[str, list[dict]]) -> Snapshot:
        s = cls()
        for r in tables["person"]:
            s.people[row_id(r["id"])] = {
                "workspace": row_id(r["workspace_id"]),
                "organization": row_id(r["organization_id"]),
                "admin": bool(r["is_admin"]),
                "email": r["email"],
            }
        for r in tables["organization"]:
            s.orgs[row_id(r["id"])] = {"workspace": row_id(r["workspace_id"]), "kind": r["kind"], "owner": row_id(r["owner_id"])}
        for r in tables["share"]:
            s.shares[row_id(r["id"])] = {
                "organization": row_id(r["organization_id"]),
                "user": row_id(r["user_id"]),
                "partner": row_id(r["partner_id"]),
                "role": r["role"],
                "status": r["status"],
                "expires": _when(r["expires_at"]),
            }
        s.firm_members = {(row_id(r["partner_id"]), row_id(r["user_id"])) for r in tables["partner_member"]}
        for r in tables["project"]:
            s.projects[row_id(r["id"])] = {"workspace": row_id(r["workspace_id"]), "client": row_id(r["client_id"])}
        s.members = {(row_id(r["project_id"]), row_id(r["user_id"])) for r in tables["project_member"]}
        s.followers = {
            (row_id(r["project_id"]), row_id(r["user_id"]), row_id(r["organization_id"])) for r in tables["project_follower"]
        }
        for r in tables["task"]:
            s.tasks[row_id(r["id"])] = {
                "workspace": row_id(r["workspace_id"]),
                "project": row_id(r["project_id"]),
                "status": r["status"],
                "labels": set(_json(r["labels"]) or []),
            }
        s.requesters = {(row_id(r["task_id"]), row_id(r["user_id"])) for r in tables["task_requester"]}
        s.task_followers = {(row_id(r["task_id"]), row_id(r["user_id"])) for r in tables["task_follower"]}
        for r in tables["time_entry"]:
            s.minutes[row_id(r["task_id"])] = s.minutes.get(row_id(r["task_id"]), 0) + int(r["minutes"])
        for r in tables["workspace"]:
            doc = {**DEFAULT_PORTAL, **(_json(r["portal_settings"]) or {})}
            s.portal[row_id(r["id"])] = (frozenset(doc["scopes"]), frozenset(doc["visibleTaskFields"]))
        for r in tables["message"]:
            s.messages[row_id(r["id"])] = {
                "task": row_id(r["task_id"]),
                "author": row_id(r["author_id"]),
                "visibility": r["visibility"],
            }
        s.subscriptions = {(row_id(r["task_id"]), row_id(r["user_id"])): r["notifications"] for r in tables["item_subscription"]}
        for r in tables["outbox_email"]:
            s.outbox[row_id(r["id"])] = {
                "workspace": row_id(r["workspace_id"]),
                "kind": r["kind"],
                "recipient": row_id(r["recipient_id"]),
                "about": row_id(r["about_id"]),
                "to": r["to_address"],
            }
        return s

    def carry_request_orgs(self, before: Snapshot | None) -> None:
        """A requester's organization is the one they had when made requester."""
        old = before.request_org if before else {}
        self.request_org = {pair: old[pair] if pair in old else self.people[pair[1]]["organization"] for pair in self.requesters}

    def view(self, person: str) -> tuple:
        """All a person may read, as one comparable value."""
        must_p, may_p, must_t, may_t = self.reach(person)
        fields = self.portal[self.people[person]["workspace"]][1] if self.kind(person) == "client" else None
        return (self.kind(person), frozenset(must_p), frozenset(may_p), frozenset(must_t), frozenset(may_t), fields)

    # -- who is what --

    def kind(self, person: str) -> str:
        p = self.people[person]
        if p["admin"]:
            return "admin"
        kind = self.orgs[p["organization"]]["kind"] if p["organization"] else None
        return {"INTERNAL": "staff", "CLIENT": "client"}.get(kind, "guest")

    def elevated(self, workspace: str) -> set[str]:
        return {pid for pid, p in self.people.items() if p["workspace"] == workspace and self.kind(pid) in ("admin", "staff")}

    @staticmethod
    def live(share: dict, now: datetime) -> bool:
        return share["status"] in LIVE and (share["expires"] is None or share["expires"] > now)

    def live_shares(self, person: str) -> set[str]:
        """The organizations the person holds a live share of themselves."""
        now = datetime.now(UTC)
        return {sh["organization"] for sh in self.shares.values() if sh["user"] == person and self.live(sh, now)}

    def firms(self, person: str) -> set[str]:
        """The PARTNER firms the person is a member of."""
        return {f for f, u in self.firm_members if u == person and self.orgs[f]["kind"] == "PARTNER"}

    def members_of(self, firm: str) -> set[str]:
        return {u for f, u in self.firm_members if f == firm}

    def holdings(self, person: str) -> dict[str, str]:
        """Client organization -> the person's access: the highest of their own live shares,
        their firms' live shares and owning it (OWNER > CSR > CONSULTANT)."""
        now, firms, rank = datetime.now(UTC), self.firms(person), ("CONSULTANT", "CSR", "OWNER")
        held = [
            (sh["organization"], sh["role"])
            for sh in self.shares.values()
            if self.live(sh, now) and (sh["user"] == person or sh["partner"] in firms)
        ]
        held += [(o, "OWNER") for o, r in self.orgs.items() if r["owner"] == person]
        access: dict[str, str] = {}
        for org, role in held:
            if self.orgs[org]["kind"] == "CLIENT" and rank.index(role) >= rank.index(access.get(org, "CONSULTANT")):
                access[org] = role
        return access

    def may_preview(self, previewer: str, person: str) -> bool:
        """Admins of the workspace, the client's owner and its CSRs (a live share) may preview
        the portal as a person of a CLIENT organization of their workspace."""
        p = self.people.get(person)
        if p is None or person == previewer or p["workspace"] != self.people[previewer]["workspace"]:
            return False
        if self.kind(person) != "client":
            return False
        kind, org = self.kind(previewer), p["organization"]
        if kind == "admin":
            return True
        if kind == "client":
            return False
        return self.holdings(previewer).get(org) in ("CSR", "OWNER")

    def live_clients(self, person: str) -> set[str]:
        """Client organizations the person holds a live share of (own or a firm's) or owns."""
        return set(self.holdings(person))

    # -- what a person may read: (must see, may see) --

    def projects_of(self, workspace: str) -> set[str]:
        return {p for p, r in self.projects.items() if r["workspace"] == workspace}

    def tasks_of(self, workspace: str) -> set[str]:
        return {t for t, r in self.tasks.items() if r["workspace"] == workspace}

    def followed(self, person: str) -> set[str]:
        org = self.people[person]["organization"]
        return {p for p, u, o in self.followers if u == person or (org is not None and o == org)}

    def client_tasks(self, person: str) -> set[str]:
        """The oracle of test_no_leaks.expected_tasks, over rows."""
        workspace = self.people[person]["workspace"]
        scopes, _ = self.portal[workspace]
        org = self.people[person]["organization"]
        followed = self.followed(person)
        visible = set()
        for t in self.tasks_of(workspace):
            requesters = {u for task, u in self.requesters if task == t}
            task_followers = {u for task, u in self.task_followers if task == t}
            if "OWN_REQUESTS" in scopes and person in requesters | task_followers:
                visible.add(t)
            if "ORGANIZATION_REQUESTS" in scopes and any(self.request_org.get((t, r)) == org for r in requesters):
                visible.add(t)
            if "FOLLOWED_PROJECTS" in scopes and self.tasks[t]["project"] in followed:
                visible.add(t)
        return visible

    def message_audience(self, task: str, author: str) -> set[str]:
        """Who a PUBLIC message on a task is emailed to."""
        return {p for p, receives in self.message_reach(task, author).items() if receives}

    def message_reach(self, task: str, author: str) -> dict[str, bool]:
        """The people a PUBLIC message on a task reaches, and whether each receives it: those
        attached to the task (its requesters and followers), those following its project
        (themselves or through their organization) and those following the task itself, who
        receive it if they may read its messages now and have not muted the task; not its
        author, nor anyone without an address or of another workspace.
        A guest reads them with a live share of the project's client (own or a firm's, or owning it); admins read them, staff
        where they read the project (on it, or holding its client); a client attached to the task reads them, a client reached
        otherwise (following the project or the task) reads them where the portal shows the task (client_tasks) and its
        MESSAGES."""
        project = self.tasks[task]["project"]
        workspace, client = self.projects[project]["workspace"], self.projects[project]["client"]
        _, fields = self.portal[workspace]
        attached = {u for t, u in self.requesters | self.task_followers if t == task}
        following = {u for p, u, _ in self.followers if p == project and u}
        following_orgs = {o for p, _, o in self.followers if p == project and o}
        following |= {p for p, r in self.people.items() if r["organization"] in following_orgs}

        def reads(person: str) -> bool:
            kind = self.kind(person)
            if kind == "guest":  # as on the API: the projects of the clients they hold or own
                return client in self.live_clients(person)
            if kind == "staff":  # what they read: the projects they are on or hold the client of
                return project in self.reach(person)[0]
            if kind != "client" or person in attached:
                return True
            # Reached otherwise (following the project, or the task by choice): where the portal
            # shows them the task and its messages.
            return "MESSAGES" in fields and task in self.client_tasks(person)

        subscribed = {u for (t, u), level in self.subscriptions.items() if t == task and level == "FOLLOWING"}
        muted = {u for (t, u), level in self.subscriptions.items() if t == task and level == "MUTED"}
        return {
            p: reads(p) and p not in muted
            for p in attached | following | subscribed
            if p in self.people and p != author and self.people[p]["workspace"] == workspace and self.people[p]["email"]
        }

    def person_at(self, workspace: str, address: str) -> str | None:
        return next((p for p, r in self.people.items() if r["workspace"] == workspace and r["email"] == address), None)

    def reach(self, person: str) -> tuple[set[str], set[str], set[str], set[str]]:
        """(projects that must be readable, projects that may be, tasks that must, tasks that may)."""
        workspace = self.people[person]["workspace"]
        kind = self.kind(person)
        projects = self.projects_of(workspace)
        tasks = self.tasks_of(workspace)
        if kind == "client":
            must_t = may_t = self.client_tasks(person)
            may_p = self.followed(person) | {self.tasks[t]["project"] for t in must_t}
            return set(), may_p & projects, must_t, may_t
        clients = self.live_clients(person)
        granted = {p for p in projects if self.projects[p]["client"] in clients}
        mine = {p for p, u in self.members if u == person} | {p for p, u, _ in self.followers if u == person}
        if kind == "admin":
            must_p = may_p = projects
        elif kind == "staff":
            must_p = may_p = granted | (mine & projects)
        else:  # a guest: only live grants count; an internal project they joined is not ruled on
            must_p = granted
            may_p = granted | {p for p in mine & projects if self.projects[p]["client"] is None}
        must_t = {t for t in tasks if self.tasks[t]["project"] in must_p}
        may_t = {t for t in tasks if self.tasks[t]["project"] in may_p}
        return must_p, may_p, must_t, may_t


async def read_tables() -> dict[str, list[dict]]:
    """Every row of every table but sign-ins and throttling (which are not changes)."""
    conn = connections.get("default")
    tables = {}
    for model in sorted(Tortoise.apps["models"].values(), key=lambda m: m._meta.db_table):
        if model._meta.db_table not in ("throttle_hit", "session"):
            tables[model._meta.db_table] = await conn.execute_query_dict(f'SELECT * FROM "{model._meta.db_table}" ORDER BY id')
    return tables


def digest_of(tables: dict[str, list[dict]]) -> str:
    """A digest of the rows, as test_contract_matrix.fingerprint computes it."""
    digest = hashlib.sha256()
    for rows in tables.values():
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


async def read_state() -> tuple[Snapshot, str]:
    tables = await read_tables()
    return Snapshot.of(tables), digest_of(tables)


async def fingerprint() -> str:
    return digest_of(await read_tables())


# --- The seeded world -----------------------------------------------------------------------


async def seed() -> tuple[dict[str, str], dict[str, str]]:
    """support.build_world, plus: a guest holding a live share of Globex only and requesting a
    Globex task; an expired Globex share of the consultant; a partner firm holding a CONSULTANT
    share of Acme (and a CSR share of Initech, a client made INTERNAL since, with a project),
    whose one member holds no share of their own; a second Acme task (DONE,
    labelled) so that filters have something to single out; a colleague of the Acme client, to
    copy on items. Returns names -> ids and names -> tokens."""
    from clientela.conversations.models import Message, MessageVisibility
    from clientela.organizations.models import OrganizationKind
    from clientela.partners.models import PartnerMember
    from clientela.projects.models import Project
    from clientela.sharing.models import Share, ShareRole, ShareStatus
    from clientela.tasks.models import Task, TaskLabel, TaskRequester, TaskStatus, TimeEntry

    factory = Factory()
    w = await build_world(factory)
    guest = await factory.person(w.admin, None, "Gail Guest")
    colleague = await factory.person(w.admin, w.acme, "Cole Colleague")
    now = datetime.now(UTC)
    csr_share = await Share.get(user_id=w.csr.user.id, organization_id=w.acme.id)
    consultant_share = await Share.get(user_id=w.consultant.user.id, organization_id=w.acme.id)
    guest_share = await Share.create(
        organization=w.globex,
        user=guest.user,
        role=ShareRole.CONSULTANT,
        status=ShareStatus.ACCEPTED,
        expires_at=now + timedelta(days=365),
    )
    expired_share = await Share.create(
        organization=w.globex,
        user=w.consultant.user,
        role=ShareRole.CSR,
        status=ShareStatus.ACCEPTED,
        expires_at=now - timedelta(days=1),
    )
    firm = await factory.organization(w.admin, "Pine Partners", OrganizationKind.PARTNER)
    member = await factory.person(w.admin, None, "Mo Member")
    await PartnerMember.create(partner=firm, user=member.user)
    firm_share = await Share.create(organization=w.acme, partner=firm, role=ShareRole.CONSULTANT, status=ShareStatus.ACCEPTED)
    # A client the firm held, made one of the firm's own teams since: its share grants nothing.
    initech = await factory.organization(w.admin, "Initech")
    await Share.create(organization=initech, partner=firm, role=ShareRole.CSR, status=ShareStatus.ACCEPTED)
    initech.kind = OrganizationKind.INTERNAL
    await initech.save()
    initech_project = await Project.create(workspace_id=w.admin.user.workspace_id, name="Initech rollout", client=initech)
    workspace_id = w.admin.user.workspace_id

    async def task(project, title, status, labels, minutes, requester=None):
        t = await Task.create(
            workspace_id=workspace_id, project=project, title=title, status=status, labels=list(labels), estimated_minutes=60
        )
        for label in labels:
            await TaskLabel.create(task=t, label=label)
        if requester is not None:
            await TaskRequester.of(t.id, requester.user).save()
        await TimeEntry.create(task=t, user=w.staff.user, minutes=minutes, date="2026-11-04")
        await Message.create(
            workspace_id=workspace_id,
            task=t,
            author=w.staff.user,
            body=f"internal note on {title}",
            visibility=MessageVisibility.INTERNAL,
        )
        return t

    await Task.filter(id=w.acme_task.id).update(labels=["web"])
    await TaskLabel.create(task=w.acme_task, label="web")
    acme_task2 = await task(w.acme_project, "Acme invoices", TaskStatus.DONE, ["billing"], 45)
    globex_task2 = await task(w.globex_project, "Globex secret plan", TaskStatus.IN_PROGRESS, ["secret"], 30, requester=guest)
    foreign_team = w.foreign_admin.user.organization_id
    people = {
        name: getattr(w, name)
        for name in ("admin", "staff", "outsider_staff", "owner", "csr", "consultant", "client", "other_client", "foreign_admin")
    } | {"guest": guest, "member": member}
    ids = {name: str(person.user.id) for name, person in people.items()}
    ids |= {
        "team": str(w.team.id),
        "acme": str(w.acme.id),
        "globex": str(w.globex.id),
        "foreign_team": str(foreign_team),
        "acme_project": str(w.acme_project.id),
        "globex_project": str(w.globex_project.id),
        "internal_project": str(w.internal_project.id),
        "foreign_project": str(w.foreign_project.id),
        "acme_task": str(w.acme_task.id),
        "acme_task2": str(acme_task2.id),
        "globex_task": str(w.globex_task.id),
        "globex_task2": str(globex_task2.id),
        "internal_task": str(w.internal_task.id),
        "foreign_task": str(w.foreign_task.id),
        "csr_share": str(csr_share.id),
        "consultant_share": str(consultant_share.id),
        "guest_share": str(guest_share.id),
        "expired_share": str(expired_share.id),
        "firm": str(firm.id),
        "firm_share": str(firm_share.id),
        "initech": str(initech.id),
        "initech_project": str(initech_project.id),
        "colleague": colleague.id,
    }
    return ids, {name: person.token for name, person in people.items()}
