"""Stateful property: no sequence of writes lets anyone reach what they should not.

Actors of every kind (admin, staff, the owner of client Acme, a CSR and a consultant of Acme, the
member of a partner firm holding a CONSULTANT share of Acme, a client person of Acme and one of
Globex, a guest holding a share of Globex only, the admin of another workspace) run random contract mutations (tests/contract/, by name, over HTTP with real
tokens) on the ids of the seeded world and of whatever the run creates. After every step the
test checks invariants against an independent model of the access policy: plain Python over
every row, read with raw SQL; it never calls clientela.policy.

- A refused mutation changes no row (a digest of every table, as test_contract_matrix's
  fingerprint, before and after); no mutation fails with an internal error.
- People never move between organizations; the only change allowed is null -> an organization,
  for someone who held no live share.
- Only a successful mutation of the admin adds anyone to the staff and admins (members of
  INTERNAL organizations, is_admin).
- Partner firms: no organization becomes or stops being a PARTNER; only the admin creates a firm
  or adds people to one, and only outside people (no organization, not an admin: staff, clients,
  admins and the admin themselves are refused); only the admin takes people out, or a member
  leaves; at all times a firm's members are outside people, and nobody in a firm joins an
  organization.
- A guest (a consultant, a firm's member) changes a project (its members, followers, tasks,
  time, messages, invitations) only with CSR or OWNER access to its client; anyone may take
  themselves off a project.
- Only admins (of the workspace) and the client's owner change a share: a successful
  SetShareRole, SetShareExpiry or RevokeShare by anyone else (a holder extending their own
  share) fails the run. Time is a move too (TimePasses): the clock passes a share's expiry,
  nobody writes, and what the share gave ends on the next request.
- Reach comes from live grants: a person without organization reads a client's projects (the
  project list, by id, their tasks, the time report) exactly while they hold a live share
  (PENDING or ACCEPTED, not expired) of that client, their own or one of their PARTNER firms'
  (read per request: leaving the firm ends it on the next request), or own it; their
  access is the highest of these (OWNER > CSR > CONSULTANT); their membership or following
  counts for nothing (projects of no client they joined are not ruled on). Staff read the
  projects they are members or followers of and those of clients they hold; admins all.
- A client reads in PortalHome (every page of 100) exactly the union of the portal scopes
  (test_no_leaks.expected_tasks over rows; a request counts for the organization its requester
  had when making it), any other task by id is NOT_FOUND; no INTERNAL message, no time entry, no
  field outside visibleTaskFields; a project's timeSpentMinutes and its task list count only the
  tasks they see; a filter on a field they may not see (status, labels) is refused
  (BAD_USER_INPUT) or ignored, never answered.
- Nothing crosses workspaces: the other admin reads and lists nothing of the first workspace,
  nobody there reads the other workspace's objects, and a mutation naming an id of another
  workspace answers exactly as it does with an id that names nothing.
- Every email a step writes to the outbox is one the model expects, to a person of the actor's
  workspace at that person's address, and every one it expects is written: a refused mutation
  writes none; a share the step created, a "shared organization" email to its invitee (to each
  member of the firm, for a firm's share); a person joining a firm, a membership email; an
  invitation into a project, one to the person invited; a PUBLIC message on a task (PostMessage,
  PortalReply), one to each person of its audience, an INTERNAL one none. The audience
  (Snapshot.message_reach), the author aside: of the task's requesters and followers and the
  people following its project (themselves or through their organization), those who may read
  its messages now: staff and admins; a guest with a live share of the project's client; a
  client attached to the task, or one reached only through following where the portal shows them
  the task (FOLLOWED_PROJECTS, or ORGANIZATION_REQUESTS and a request of their organization) and
  MESSAGES.
- A preview as a client (the Clientela-View-As header) is a move too: it answers only where the
  model lets the actor preview the person (an admin of the workspace, or the owner or a CSR with
  a live share, own or a firm's, of the person's CLIENT organization; anyone else FORBIDDEN), never writes (a
  mutation is FORBIDDEN and changes no row; a read adds at most its own audit entry), and never
  shows more than the previewed person sees: exactly their own answer, and their tasks in the
  model.
- Item notifications (issue 18) are moves too: following or muting an item succeeds exactly
  for who sees it; copying colleagues (ccColleagues) exactly for a client who sees the item,
  naming people of their own organization (not themselves) whom the portal shows it. Following
  grants nothing: the audience above gains the people who follow an item only where they read
  it, and loses whoever muted it.
- messageRecipients previews exactly that audience: for a staff or admin actor before they post
  a PUBLIC message (and it answers exactly when the post does), and for the admin on every task
  whose reach in the model (the people a message there reaches, and whether each receives it)
  changed, whether or not anyone posts there.

The model's view of each viewer is recomputed after each step; a viewer is read again (lists,
and by id the objects whose expected answer changed or that the step named) when the step
named them, they acted, their view in the model changed, or it is their turn (one in turn per
step). Reads are also steps: a client filtering a project's tasks by status or labels.

How it runs. Hypothesis's RuleBasedStateMachine is synchronous and the suite's fixtures live on
its session event loop: the test awaits `run_state_machine_as_test` in a worker thread, and the
machine runs every coroutine back on the test's loop (`asyncio.run_coroutine_threadsafe`), so
it uses the suite's database connection and the `api` fixture as they are. Each example starts
from `wipe_database()` and a freshly seeded world (support.build_world, plus the guest, an
expired share, and a second Acme task).

Findability. Each rule draws an actor first, then arguments weighted toward what that actor
works with (their clients' projects, themselves, the people outside the firm), so that each
known escalation is one to three steps from the seeded world (PUBLIC messages have a rule of
their own, so that emails are written often); steps print as named tuples
(`AddProjectMembers(actor='csr', project='acme_project', users=('csr',))`), objects by their
seeded names or `project#1`, `person#2`... in order of creation. The `idle` rule exists for
shrinking (see its docstring).

Bounded for CI: 50 examples of up to 30 steps, derandomized (about 45 s on SQLite, 65 s on
PostgreSQL on an idle machine). Knobs, for local runs: CLIENTELA_ESCALATION_EXAMPLES and
CLIENTELA_ESCALATION_STEPS; CLIENTELA_ESCALATION_RULES and CLIENTELA_ESCALATION_ACTORS
(comma-separated rule and actor names: only those, to show one escalation at a time);
CLIENTELA_ESCALATION_RANDOM=1 (random generation, with pytest's --hypothesis-seed);
CLIENTELA_ESCALATION_SHRINK=0 (report the first failure unshrunk); CLIENTELA_ESCALATION_STATS=1
(print how steps ended and where the time went; run with -s).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test
from tortoise import Tortoise

from escalation_model import Snapshot, fingerprint, read_state, read_tables, row_id, seed
from escalation_steps import (
    CC_COLLEAGUES,
    EXPIRY_OFFSETS,
    LABELS,
    LOG_DATE,
    MISSING_ID,
    PREVIEW_WRITES,
    REPORT_FROM,
    REPORT_TO,
    SET_NOTIFICATIONS,
    SHARES,
    STATUSES,
    VIEWERS,
    AddProjectMembers,
    AddTaskPeople,
    CreateTask,
    FollowProject,
    InviteToProject,
    PartnerMembers,
    RemoveProjectMembers,
    SetItemNotifications,
    ShareOrganization,
    SharePartner,
    TaskActivity,
    TimePasses,
    activity_steps,
    change_share_steps,
    contact_steps,
    create_organization_steps,
    create_partner_steps,
    create_task_steps,
    follow_steps,
    invite_steps,
    leave_partner_steps,
    member_steps,
    notice_steps,
    partner_member_steps,
    portal_settings_steps,
    preview_steps,
    project_client_steps,
    public_message_steps,
    read_steps,
    share_partner_steps,
    share_steps,
    task_people_steps,
    update_organization_steps,
)
from support import CONTRACT, wipe_database

# --- Reading as a viewer ----------------------------------------------------------------------

PROJECT_SELECTION = "id timeSpentMinutes tasks(first: 50) { totalCount edges { node { id } } }"
TASK_SELECTION = (
    "id description status priority dueDate labels assignee { id } requesters { id } followers { id } "
    "estimatedMinutes timeSpentMinutes cost { amount } timeEntries { id } messages { visibility body }"
)
# A task field, the portal field that enables it.
TASK_FIELD_GATES = {
    "description": "DESCRIPTION",
    "status": "STATUS",
    "priority": "PRIORITY",
    "dueDate": "DUE_DATE",
    "labels": "LABELS",
    "assignee": "ASSIGNEE",
    "requesters": "REQUESTERS",
    "followers": "FOLLOWERS",
    "messages": "MESSAGES",
    "estimatedMinutes": "ESTIMATED_TIME",
    "timeSpentMinutes": "TIME_SPENT",
    "cost": "COST",
}
ALIASES_PER_DOCUMENT = 12
WALK = (
    "query Walk($after: String) { portalItems(first: 100, after: $after) "
    "{ pageInfo { hasNextPage endCursor } edges { node { id } } } }"
)


class Violation(AssertionError):
    pass


class EscalationMachine(RuleBasedStateMachine):
    """One example: a fresh seeded world, then random steps; invariants after each."""

    api = None  # the `api` fixture, set by the test
    run = None  # runs a coroutine on the test's event loop and returns its result
    seed_checked = False  # the seeded world is read in full once per test, by every viewer

    def __init__(self) -> None:
        super().__init__()
        self._keep_idle_enabled()
        started = time.perf_counter()
        self.ids, self.tokens = self._run(self._fresh_world())
        self.names = {v: k for k, v in self.ids.items()}
        self.home = self.snapshot.people[self.ids["admin"]]["workspace"]
        self.foreign = self.snapshot.people[self.ids["foreign_admin"]]["workspace"]
        self.fresh = 0
        self.log: list[str] = []
        self.broken = False
        # What each viewer was last checked to read: its whole view, and each object by id.
        self.views_seen: dict[str, tuple] = {}
        self.expected_seen: dict[tuple, object] = {}
        # Whom a PUBLIC message on each task was last checked to reach (and whether each receives it).
        self.reach_seen: dict[str, frozenset] = {}
        if type(self).seed_checked:
            for viewer in VIEWERS:
                if viewer != "foreign_admin":
                    self._expectations(viewer, remember=True)
            self._check_audiences(read=False)
        else:
            self.sweep(full=True)
            self._check_audiences()
            type(self).seed_checked = True
        self._count("seconds: new world", time.perf_counter() - started)
        self._count("examples")

    def _keep_idle_enabled(self) -> None:
        """Hypothesis's swarm testing turns a random subset of the rules off in each example;
        with `idle` off, shrinking leaves copies of the simplest real step behind. `idle` stays
        on (through hypothesis's internals: should they change, shrinking is merely worse)."""
        strategy = getattr(self, "_rules_strategy", None)
        try:
            others = strategy._rule_is_enabled
            strategy._enabled_rules_strategy = strategy.rules_strategy.filter(
                lambda r: (r.function.__name__ == "idle" and strategy.is_valid(r)) or others(r)
            )
        except AttributeError:
            pass

    async def _fresh_world(self):
        await wipe_database()
        ids, tokens = await seed()
        self.snapshot, self.digest = await read_state()
        self.snapshot.carry_request_orgs(None)
        return ids, tokens

    def _run(self, coroutine):
        return type(self).run(coroutine)

    # -- names --

    def id_of(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.ids.get(name, MISSING_ID)

    def name_of(self, object_id: str | None) -> str:
        return self.names.get(object_id, object_id or "null")

    def workspace_of(self, object_id: str) -> str | None:
        s = self.snapshot
        for table in (s.people, s.orgs, s.projects, s.tasks):
            if object_id in table:
                return table[object_id]["workspace"]
        if object_id in s.shares:
            return s.orgs[s.shares[object_id]["organization"]]["workspace"]
        return None

    def email_of(self, name: str) -> str:
        person = self.snapshot.people.get(self.ids.get(name, ""))
        if name == "fresh" or person is None or not person["email"]:
            self.fresh += 1
            return f"fresh{self.fresh}@new.example"
        return person["email"]

    def _register_new(self, before: Snapshot, after: Snapshot) -> None:
        for prefix, old, new in (
            ("person", before.people, after.people),
            ("org", before.orgs, after.orgs),
            ("project", before.projects, after.projects),
            ("task", before.tasks, after.tasks),
            ("share", before.shares, after.shares),
        ):
            for object_id in sorted(set(new) - set(old)):  # uuid7: in creation order
                count = sum(1 for n in self.ids if n.startswith(prefix + "#")) + 1
                self.ids[f"{prefix}#{count}"] = object_id
                self.names[object_id] = f"{prefix}#{count}"

    # -- one step --

    def _fail(self, message: str) -> None:
        self.broken = True
        history = "\n  ".join(self.log[-8:])
        raise Violation(f"{message}\n  steps so far:\n  {history}")

    def mutate(self, step, operation: str, variables: dict, refs: list[str | None]) -> str:
        """Run a mutation as step.actor and check every invariant afterwards; returns how it ended."""
        started = time.perf_counter()
        try:
            return self._mutate(step, operation, variables, refs)
        finally:
            self._count("seconds: steps", time.perf_counter() - started)
            self._count("steps")

    def _mutate(self, step, operation: str, variables: dict, refs: list[str | None]) -> str:
        actor = step.actor
        before, digest = self.snapshot, self.digest
        result = self._run(self.api(operation, variables, token=self.tokens[actor]))
        outcome = self._after(step, result)
        if outcome == "INTERNAL_SERVER_ERROR":
            self._fail(f"{operation} by {actor} failed with an internal error: {result.errors}")
        self._register_new(before, self.snapshot)
        self._check_emails(step, operation, variables, before, outcome)
        if outcome != "ok" and self.digest != digest:
            self._fail(f"{operation} by {actor} was refused ({outcome}) but changed rows")
        self._check_workspaces(step, operation, variables, refs, outcome, digest)
        self._check_people(step, before, self.snapshot, outcome)
        self._check_firms(step, before, self.snapshot, outcome)
        self._check_managed(step, before, outcome)
        if self.digest != digest:
            started = time.perf_counter()
            self.sweep(refs, actor=actor)
            self._check_audiences()
            self._count("seconds: sweeps after steps", time.perf_counter() - started)
        return outcome

    def _after(self, step, result) -> str:
        after, self.digest = self._run(read_state())
        after.carry_request_orgs(self.snapshot)
        self.snapshot = after
        outcome = result.code or "ok"
        self.log.append(f"{step} -> {outcome}")
        if currently_in_test_context():  # the machine also runs by hand, to replay an example
            note(f"{step} -> {outcome}")
        self._count(f"{type(step).__name__} {outcome}")
        return outcome

    @staticmethod
    def _count(key: str, amount: float = 1) -> None:
        if STATS is not None:
            STATS[key] = STATS.get(key, 0) + amount

    def _check_workspaces(self, step, operation, variables, refs, outcome, digest) -> None:
        """An id of another workspace is answered as an id that names nothing would be."""
        actor_ws = self.foreign if step.actor == "foreign_admin" else self.home
        crossing = [r for r in refs if r and self.workspace_of(r) not in (None, actor_ws)]
        if not crossing or outcome == "NOT_FOUND":
            return
        names = self._names(crossing)
        if outcome == "ok":
            self._fail(f"{operation} by {step.actor} naming {names} of another workspace succeeded")
        text = json.dumps(variables)
        for object_id in crossing:
            text = text.replace(object_id, MISSING_ID)
        replay = self._run(self.api(operation, json.loads(text), token=self.tokens[step.actor]))
        if (replay.code or "ok") != outcome or self._run(fingerprint()) != digest:
            self._fail(
                f"{operation} by {step.actor} naming {names} of another workspace answers {outcome}; "
                f"with ids that name nothing it answers {replay.code or 'ok'}"
            )

    def _check_people(self, step, before: Snapshot, after: Snapshot, outcome: str) -> None:
        moved = []
        for pid, was in before.people.items():
            now_org = after.people[pid]["organization"]
            outside = was["organization"] is None and not before.live_shares(pid) and not before.firms(pid)
            if now_org != was["organization"] and not (outside and after.orgs[now_org]["kind"] != "PARTNER"):
                moved.append((pid, was["organization"], now_org))
        if moved:
            described = [
                f"{self.name_of(p)} ({sorted(self.name_of(o) for o in before.live_shares(p))} shares): "
                f"{self.name_of(a)} -> {self.name_of(b)}"
                for p, a, b in moved
            ]
            self._fail(f"people moved between organizations: {described}; {self._portal_titles()}")
        gained = after.elevated(self.home) - before.elevated(self.home)
        if gained and not (step.actor == "admin" and outcome == "ok"):
            described = [f"{self.name_of(p)} ({after.kind(p)})" for p in gained]
            self._fail(f"{step.actor}, not an admin, made {described} staff or admin")

    def _check_firms(self, step, before: Snapshot, after: Snapshot, outcome: str) -> None:
        """Partner firms: no organization becomes one or stops being one; only an admin (of the
        firm's workspace, by a successful step) creates a firm or adds anyone to one, and only
        outside people (no organization, not an admin); people leave a firm by an admin or by
        themselves; at all times a firm's members are outside people."""
        actor = self.ids[step.actor]
        admin = before.kind(actor) == "admin" and outcome == "ok"
        workspace = before.people[actor]["workspace"]
        turned = [
            o
            for o in set(before.orgs) & set(after.orgs)
            if (before.orgs[o]["kind"] == "PARTNER") != (after.orgs[o]["kind"] == "PARTNER")
        ]
        if turned:
            self._fail(
                f"{step.actor} turned {self._names(turned)} from {[before.orgs[o]['kind'] for o in turned]} "
                f"to {[after.orgs[o]['kind'] for o in turned]}"
            )
        created = [o for o in set(after.orgs) - set(before.orgs) if after.orgs[o]["kind"] == "PARTNER"]
        if created and not (admin and all(after.orgs[o]["workspace"] == workspace for o in created)):
            self._fail(f"{step.actor} ({before.kind(actor)}, {outcome}) created the partner firms {self._names(created)}")
        joined = after.firm_members - before.firm_members
        people = before.people | after.people
        for firm, person in sorted(joined):
            outside = people[person]["organization"] is None and not people[person]["admin"]
            if not (admin and after.orgs[firm]["workspace"] == workspace and after.orgs[firm]["kind"] == "PARTNER" and outside):
                self._fail(
                    f"{step.actor} ({before.kind(actor)}, {outcome}) added {self.name_of(person)} "
                    f"({before.kind(person) if person in before.people else 'new'}) to {self.name_of(firm)}"
                )
        left = before.firm_members - after.firm_members
        for firm, person in sorted(left):
            if outcome != "ok" or not (admin and before.orgs[firm]["workspace"] == workspace or person == actor):
                self._fail(
                    f"{step.actor} ({before.kind(actor)}, {outcome}) took {self.name_of(person)} out of {self.name_of(firm)}"
                )
        inside = [(f, u) for f, u in after.firm_members if after.people[u]["organization"] or after.people[u]["admin"]]
        if inside:
            self._fail(
                f"members of partner firms belong to the workspace: "
                f"{[(self.name_of(f), self.name_of(u), after.kind(u)) for f, u in inside]}"
            )

    def _check_managed(self, step, before: Snapshot, outcome: str) -> None:
        """A guest (a consultant, a firm's member) changes a project only with CSR or OWNER access
        to its client: their own share, a firm's, or owning it; a CONSULTANT share, or none, is
        not enough. Anyone may take themselves off a project."""
        actor = self.ids[step.actor]
        if outcome != "ok" or before.kind(actor) != "guest":
            return
        leaving = (
            step.op == "UnfollowProject" and not step.organizations
            if isinstance(step, FollowProject)
            else (isinstance(step, RemoveProjectMembers))
        )
        if leaving and step.users == (step.actor,):
            return
        project = None
        if isinstance(step, AddProjectMembers | RemoveProjectMembers | FollowProject | InviteToProject) or (
            isinstance(step, CreateTask) and step.op == "CreateTask"
        ):
            project = self.id_of(step.project)
        elif isinstance(step, AddTaskPeople | TaskActivity):
            project = before.tasks.get(self.id_of(step.task), {}).get("project")
        if project is None:
            return
        client = before.projects.get(project, {}).get("client")
        access = before.holdings(actor).get(client)
        if access not in ("CSR", "OWNER"):
            self._fail(
                f"{step} succeeded for {step.actor}, whose access to {self.name_of(client)} (the client of "
                f"{self.name_of(project)}) is {access} ({self._why(step.actor, 'guest')})"
            )

    def _check_emails(self, step, operation: str, variables: dict, before: Snapshot, outcome: str) -> None:
        """The emails the step wrote to the outbox are exactly those the model expects, each to a
        person of the actor's workspace at that person's address."""
        s = self.snapshot
        workspace = s.people[self.ids[step.actor]]["workspace"]
        written = [s.outbox[e] for e in sorted(set(s.outbox) - set(before.outbox))]
        for e in written:
            person = s.people.get(e["recipient"])
            if person is None or {person["workspace"], e["workspace"]} != {workspace} or e["to"] != person["email"]:
                self._fail(
                    f"{operation} by {step.actor} wrote a {e['kind']} email to {e['to']} for "
                    f"{self.name_of(e['recipient'])}, not a person of {step.actor}'s workspace at that address"
                )
        got = Counter((e["kind"], e["recipient"], e["about"]) for e in written)
        for kind, n in Counter(e["kind"] for e in written).items():
            self._count(f"emails: {kind}", n)
        expected = Counter(self._expected_emails(step, variables, before) if outcome == "ok" else ())
        if got == expected:
            return
        wrong = {recipient for _, recipient, _ in (got - expected) + (expected - got)}
        self._fail(
            f"{operation} by {step.actor} ({outcome}) wrote the emails {self._emails(got)}, the model expects "
            f"{self._emails(expected)}; {self._receivers_why(wrong)}"
        )

    def _expected_emails(self, step, variables: dict, before: Snapshot) -> set[tuple]:
        """(kind, recipient, about) of each email a successful step writes: a "shared
        organization" email to the invitee for the share it created (none for one they held),
        an invitation to the person it invited into a project, each PUBLIC message it posted to
        the message's audience (an INTERNAL one to nobody)."""
        s = self.snapshot
        workspace = s.people[self.ids[step.actor]]["workspace"]
        if isinstance(step, ShareOrganization):
            invitee = variables["invitees"][0]
            person = invitee.get("userId") or s.person_at(workspace, invitee["email"])
            return {
                ("SHARED_ORGANIZATION", person, share)
                for share in set(s.shares) - set(before.shares)
                if s.shares[share]["user"] == person and s.shares[share]["organization"] == variables["organizationId"]
            }
        if isinstance(step, SharePartner):  # each member of the firm
            firm = variables["invitees"][0]["partnerId"]
            return {
                ("SHARED_ORGANIZATION", person, share)
                for share in set(s.shares) - set(before.shares)
                if s.shares[share]["partner"] == firm and s.shares[share]["organization"] == variables["organizationId"]
                for person in s.members_of(firm)
            }
        if isinstance(step, PartnerMembers):  # each new member is told, nobody who leaves
            return {("PARTNER_MEMBERSHIP", person, firm) for firm, person in s.firm_members - before.firm_members}
        if isinstance(step, InviteToProject):
            invited = variables["input"]
            return {("PROJECT_INVITATION", s.person_at(workspace, invited["email"]), invited["projectId"])}
        posted = [m for m in set(s.messages) - set(before.messages) if s.messages[m]["visibility"] == "PUBLIC"]
        return {
            ("CLIENT_REPLY", person, m)
            for m in posted
            for person in s.message_audience(s.messages[m]["task"], s.messages[m]["author"])
        }

    def _emails(self, emails: Counter) -> list[str]:
        s = self.snapshot

        def about(a):
            return f"the message on {self.name_of(s.messages[a]['task'])}" if a in s.messages else self.name_of(a)

        return sorted(
            f"{kind} to {self.name_of(r)} about {about(a)}" + (f" (x{n})" if n > 1 else "") for (kind, r, a), n in emails.items()
        )

    def _check_audiences(self, read: bool = True) -> None:
        """messageRecipients, read as the admin, of each task whose reach in the model (who a
        PUBLIC message there reaches, and whether each receives it) changed since it was last
        read: the model's audience, whether or not anyone posts there."""
        s, admin = self.snapshot, self.ids["admin"]
        reach = {t: frozenset(s.message_reach(t, admin).items()) for t in sorted(s.tasks_of(self.home))}
        changed = [t for t in reach if self.reach_seen.get(t) != reach[t]]
        if read and changed:
            parts = [f'a{n}: messageRecipients(taskId: "{t}") {{ user {{ id }} }}' for n, t in enumerate(changed)]
            data, errors = self._read_parts("admin", parts)
            if errors:
                self._fail(f"the admin could not read messageRecipients: {errors}")
            for n, t in enumerate(changed):
                got = {r["user"]["id"] for r in data[f"a{n}"]}
                expected = {p for p, receives in reach[t] if receives}
                if got != expected:
                    self._fail(
                        f"messageRecipients of {self.name_of(t)} for the admin is {self._names(got)}, the model's "
                        f"audience {self._names(expected)}; {self._receivers_why(got ^ expected)}"
                    )
        self.reach_seen.update({t: reach[t] for t in changed})

    def _check_preview(self, step, task: str) -> str:
        """messageRecipients, asked before a PUBLIC message is posted: the model's audience.
        Returns how it answered."""
        self._count("MessageRecipients previews")
        result = self._run(self.api("MessageRecipients", {"taskId": task}, token=self.tokens[step.actor]))
        if result.code:
            return result.code
        got = {r["user"]["id"] for r in result.data["messageRecipients"]}
        expected = self.snapshot.message_audience(task, self.ids[step.actor])
        if got != expected:
            self._fail(
                f"before {step}: messageRecipients of {step.task} for {step.actor} is {self._names(got)}, the "
                f"model's audience {self._names(expected)}; {self._receivers_why(got ^ expected)}"
            )
        return "ok"

    def _receivers_why(self, people: set) -> str:
        """For a failure about who receives a message: what these people are and hold, and what
        the portal shows clients."""
        s = self.snapshot
        why = [
            f"{self._why(self.name_of(p), s.kind(p))}, organization {self.name_of(s.people[p]['organization'])}"
            for p in sorted(people & set(s.people), key=self.name_of)
        ]
        scopes, fields = s.portal[self.home]
        return f"{'; '.join(why)}; portal scopes {sorted(scopes)}, clients see MESSAGES: {'MESSAGES' in fields}"

    def _portal_titles(self) -> str:
        """What the client people see now (for the report of a failure)."""
        seen = {}
        for viewer in ("client", "other_client"):
            result = self._run(self.api("PortalHome", {"first": 100}, token=self.tokens[viewer]))
            if result.data and result.data.get("portalItems"):
                seen[viewer] = sorted(self.name_of(e["node"]["id"]) for e in result.data["portalItems"]["edges"])
        return f"portal items now: {seen}"

    # -- reading as every viewer --

    def _query(self, viewer: str, document: str):
        self._count("sweep queries")
        return self._run(self.api(document, {}, token=self.tokens[viewer]))

    def sweep(self, refs: list[str | None] = (), actor: str | None = None, full: bool = False) -> None:
        """Read as the viewers a step may have changed something for: the actor, the people it
        named (and the holders of named shares, the members of named organizations), whoever's
        view in the model changed, and one more in turn; each reads their lists, and by id the
        objects the step named or whose expected answer changed since they last read them
        (every viewer and every object when `full`)."""
        s = self.snapshot
        named = {r for r in refs if r}
        named |= {s.tasks[r]["project"] for r in named if r in s.tasks}
        # One more viewer in turn, so that everyone's lists are read every few steps anyway.
        touched = {actor, VIEWERS[len(self.log) % len(VIEWERS)]} | {self.name_of(r) for r in named if r in s.people}
        touched |= {self.name_of(s.shares[r]["user"]) for r in named if r in s.shares}
        touched |= {self.name_of(p) for r in named if r in s.shares for p in s.members_of(s.shares[r]["partner"])}
        touched |= {self.name_of(p) for p, row in s.people.items() if row["organization"] in named}
        touched |= {self.name_of(p) for f in named for p in s.members_of(f)}
        for viewer in VIEWERS:
            if viewer == "foreign_admin":
                if full or viewer in touched:
                    self._sweep_foreign(by_id=True)
                continue
            if full or viewer in touched or self.views_seen.get(viewer) != s.view(self.ids[viewer]):
                self._sweep_viewer(viewer, named, full)

    def _expectations(self, viewer: str, remember: bool = False):
        """What the model says `viewer` reads: by project and by task."""
        s = self.snapshot
        pid = self.ids[viewer]
        client = s.kind(pid) == "client"
        must_p, may_p, must_t, may_t = s.reach(pid)
        _, fields = s.portal[self.home]

        def project(p):
            if p not in may_p:
                return "hidden"
            if client:
                in_p = frozenset(t for t in must_t if s.tasks[t]["project"] == p)
                time = sum(s.minutes.get(t, 0) for t in in_p) if "TIME_SPENT" in fields else None
                return ("maybe", in_p, time)
            if p not in must_p:
                return "maybe"
            in_p = frozenset(t for t in s.tasks if s.tasks[t]["project"] == p)
            return ("shown", in_p, sum(s.minutes.get(t, 0) for t in in_p))

        def task(t):
            if t not in may_t:
                return "hidden"
            if t not in must_t:
                return "maybe"
            return ("shown", fields if client else None, s.minutes.get(t, 0))

        if remember:
            self.views_seen[viewer] = s.view(pid)
            for p in s.projects_of(self.home):
                self.expected_seen[(viewer, p)] = project(p)
            for t in s.tasks_of(self.home):
                self.expected_seen[(viewer, t)] = task(t)
        return project, task

    def _sweep_viewer(self, viewer: str, named: set[str], full: bool) -> None:
        s = self.snapshot
        pid = self.ids[viewer]
        kind = s.kind(pid)
        must_p, may_p, must_t, may_t = s.reach(pid)
        fields = s.portal[self.home][1]
        client = kind == "client"
        expected_project, expected_task = self._expectations(viewer)
        self.views_seen[viewer] = s.view(pid)
        projects = [
            p
            for p in sorted(s.projects_of(self.home))
            if full or p in named or self.expected_seen.get((viewer, p)) != expected_project(p)
        ]
        tasks = [
            t
            for t in sorted(s.tasks_of(self.home))
            if full or t in named or self.expected_seen.get((viewer, t)) != expected_task(t)
        ]
        foreign = [self.ids["foreign_project"], self.ids["foreign_task"]]

        head = "projects { id }"
        if not client:  # a client's portal is read through the contract's PortalHome, below
            head += " portalItems(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } }"
            head += f' report: timeReport(from: "{REPORT_FROM}", to: "{REPORT_TO}") {{ rows {{ project {{ id }} }} }}'
        items = [("project", p) for p in projects] + [("task", t) for t in tasks]
        items += [("project", foreign[0]), ("task", foreign[1])]
        if client:
            items += self._hidden_filters(projects, must_t, fields)
        parts = [head]
        for n, (what, object_id, *argument) in enumerate(items):
            if what == "filter":
                parts.append(
                    f'a{n}: project(id: "{object_id}") {{ tasks(first: 100, {argument[0]}) {{ edges {{ node {{ id }} }} }} }}'
                )
            else:
                selection = PROJECT_SELECTION if what == "project" else TASK_SELECTION
                parts.append(f'a{n}: {what}(id: "{object_id}") {{ {selection} }}')
        data, errors = {}, []
        for i in range(0, len(parts), ALIASES_PER_DOCUMENT):
            more_data, more_errors = self._read_parts(viewer, parts[i : i + ALIASES_PER_DOCUMENT])
            data |= more_data
            errors += more_errors
        if client:
            data["portalItems"] = self._portal_home(viewer)
        codes = {e["path"][0]: e.get("extensions", {}).get("code") for e in errors if e.get("path")}
        filters = {f"a{n}" for n, item in enumerate(items) if item[0] == "filter"}
        unexpected = [
            e
            for e in errors
            if not e.get("path")
            or codes.get(e["path"][0]) != "NOT_FOUND"
            and not (e["path"][0] in filters and codes[e["path"][0]] == "BAD_USER_INPUT")
        ]
        if unexpected:
            self._fail(f"{viewer} ({kind}) got errors reading: {unexpected}")
        self._check_lists(viewer, kind, data, must_p, may_p, must_t, may_t)
        for n, (what, object_id, *argument) in enumerate(items):
            got, code = data.get(f"a{n}"), codes.get(f"a{n}")
            if what == "filter":
                self._check_hidden_filter(viewer, object_id, argument[0], got, code, must_t)
            elif object_id in foreign:
                if got is not None or code != "NOT_FOUND":
                    self._fail(f"{viewer} reads {self.name_of(object_id)} of the other workspace: {got} {code}")
            elif what == "project":
                self._check_project(viewer, kind, object_id, got, code, expected_project(object_id))
                self.expected_seen[(viewer, object_id)] = expected_project(object_id)
            else:
                self._check_task(viewer, kind, object_id, got, code, expected_task(object_id), fields)
                self.expected_seen[(viewer, object_id)] = expected_task(object_id)

    def _read_parts(self, viewer: str, parts: list[str]) -> tuple[dict, list]:
        """One document of these fields; split in two, again and again, while it is over the
        service's limits on a document (nodes, aliases)."""
        result = self._query(viewer, "query Sweep { " + " ".join(parts) + " }")
        if any("limit" in e.get("extensions", {}) for e in result.errors) and len(parts) > 1:
            half = len(parts) // 2
            first, second = self._read_parts(viewer, parts[:half]), self._read_parts(viewer, parts[half:])
            return first[0] | second[0], first[1] + second[1]
        if result.data is None:
            self._fail(f"{viewer} could not read: {result.errors}")
        return result.data, result.errors

    def _portal_home(self, viewer: str) -> dict:
        """The contract's PortalHome, every page of 100: its items, as one page."""
        edges, after = [], None
        while True:
            page = self._run(self.api("PortalHome", {"first": 100, "after": after}, token=self.tokens[viewer]))
            if page.errors or page.data is None:
                self._fail(f"PortalHome of {viewer}: {page.errors}")
            items = page.data["portalItems"]
            edges += items["edges"]
            if not items["pageInfo"]["hasNextPage"]:
                return {"totalCount": items["totalCount"], "edges": edges, "pageInfo": items["pageInfo"]}
            after = items["pageInfo"]["endCursor"]

    def _hidden_filters(self, projects: list[str], visible: set[str], fields: frozenset) -> list[tuple]:
        """For a client, a filter on each hidden filterable field (status, labels) of each
        project read, with a value that would single out some of the tasks the client sees
        there, if answered: it must be refused or ignored."""
        s = self.snapshot
        filters = []
        for p in projects:
            in_p = [t for t in visible if s.tasks[t]["project"] == p]
            if not in_p:
                continue
            if "STATUS" not in fields:
                status = next(x for x in STATUSES if any(s.tasks[t]["status"] != x for t in in_p))
                filters.append(("filter", p, f"status: {status}"))
            if "LABELS" not in fields:
                label = next((x for x in LABELS if any(x not in s.tasks[t]["labels"] for t in in_p)), None)
                if label:
                    filters.append(("filter", p, f'labels: ["{label}"]'))
        return filters

    def _check_hidden_filter(self, viewer, p, argument, got, code, visible) -> None:
        s = self.snapshot
        if code == "BAD_USER_INPUT":
            return
        in_p = {t for t in visible if s.tasks[t]["project"] == p}
        listed = set() if got is None else {e["node"]["id"] for e in got["tasks"]["edges"]}
        if listed != in_p:
            self._fail(
                f"client {viewer} filters project {self.name_of(p)} by a hidden field ({argument}) and gets "
                f"{self._names(listed)} of the {self._names(in_p)} it sees there"
            )

    def _why(self, viewer: str, kind: str) -> str:
        s = self.snapshot
        pid = self.ids[viewer]
        shares = sorted(self.name_of(o) for o in s.live_shares(pid))
        owns = sorted(self.name_of(o) for o, r in s.orgs.items() if r["owner"] == pid)
        firms = sorted(self.name_of(f) for f in s.firms(pid))
        access = sorted((self.name_of(o), a) for o, a in s.holdings(pid).items())
        return f"{viewer} is {kind}, holds live shares of {shares}, owns {owns}, is in the firms {firms}, access {access}"

    def _check_lists(self, viewer, kind, data, must_p, may_p, must_t, may_t) -> None:
        s = self.snapshot
        listed = {p["id"] for p in data["projects"]}
        items = data["portalItems"]
        tasks = {e["node"]["id"] for e in items["edges"]}
        after = items["pageInfo"]["endCursor"]
        while items["pageInfo"]["hasNextPage"]:  # walk every page
            page = self._run(self.api(WALK, {"after": after}, token=self.tokens[viewer]))
            items = page.ok()["portalItems"]
            tasks |= {e["node"]["id"] for e in items["edges"]}
            after = items["pageInfo"]["endCursor"]
        home_projects, home_tasks = s.projects_of(self.home), s.tasks_of(self.home)
        if listed - home_projects or tasks - home_tasks:
            self._fail(f"{viewer} lists objects of another workspace: {listed - home_projects} {tasks - home_tasks}")
        if not must_p <= listed:
            self._fail(f"{viewer} does not list projects {self._names(must_p - listed)} ({self._why(viewer, kind)})")
        if listed - may_p:
            self._fail(f"{viewer} lists projects {self._names(listed - may_p)} it may not read ({self._why(viewer, kind)})")
        if kind == "client" and tasks != must_t:
            self._fail(f"PortalHome of {viewer}: {self._names(tasks)}, the portal scopes give {self._names(must_t)}")
        if tasks - may_t:
            self._fail(f"{viewer} lists tasks {self._names(tasks - may_t)} it may not read ({self._why(viewer, kind)})")
        if not must_t <= tasks:
            self._fail(f"{viewer} does not list tasks {self._names(must_t - tasks)} ({self._why(viewer, kind)})")
        if data["portalItems"]["totalCount"] != len(tasks):
            self._fail(f"{viewer}'s portalItems totalCount is {data['portalItems']['totalCount']}, it lists {len(tasks)}")
        if kind != "client":
            reported = {r["project"]["id"] for r in data["report"]["rows"]}
            if reported - may_p:
                self._fail(f"{viewer}'s time report has rows of {self._names(reported - may_p)} ({self._why(viewer, kind)})")

    def _names(self, ids) -> list[str]:
        return sorted(self.name_of(i) for i in ids)

    def _check_project(self, viewer, kind, p, got, code, expected) -> None:
        name = self.name_of(p)
        if expected == "hidden":
            if got is not None or code != "NOT_FOUND":
                self._fail(
                    f"{viewer} reads project {name} by id ({self._why(viewer, kind)}; its client: "
                    f"{self.name_of(self.snapshot.projects[p]['client'])})"
                )
            return
        if expected == "maybe" or got is None:
            if expected != "maybe" and expected[0] == "shown":
                self._fail(f"{viewer} cannot read project {name} by id: {code} ({self._why(viewer, kind)})")
            return
        _, in_p, time = expected
        listed = {e["node"]["id"] for e in got["tasks"]["edges"]}
        if listed != in_p or got["tasks"]["totalCount"] != len(in_p):
            self._fail(
                f"{viewer} sees tasks {self._names(listed)} (total {got['tasks']['totalCount']}) of project {name}, "
                f"expected {self._names(in_p)}"
            )
        if got["timeSpentMinutes"] != time:
            self._fail(
                f"{viewer} ({kind}) reads {got['timeSpentMinutes']} minutes spent on project {name}; the tasks "
                f"{viewer} sees there add up to {time}"
            )

    def _check_task(self, viewer, kind, t, got, code, expected, fields) -> None:
        name = self.name_of(t)
        if expected == "hidden":
            if got is not None or code != "NOT_FOUND":
                self._fail(f"{viewer} ({kind}) reads task {name} by id: {got} ({self._why(viewer, kind)})")
            return
        if expected == "maybe":
            return
        if got is None:
            self._fail(f"{viewer} ({kind}) cannot read task {name} by id: {code}")
        if kind != "client":
            return
        shown = [key for key, gate in TASK_FIELD_GATES.items() if gate not in fields and got[key] is not None]
        if shown:
            self._fail(f"client {viewer} reads hidden fields {shown} of task {name}: {got}")
        if got["timeEntries"] is not None:
            self._fail(f"client {viewer} reads the time entries of {name}")
        if got["messages"] and any(m["visibility"] != "PUBLIC" for m in got["messages"]):
            self._fail(f"client {viewer} reads an INTERNAL message of {name}: {got['messages']}")
        if "TIME_SPENT" in fields and got["timeSpentMinutes"] != expected[2]:
            self._fail(f"client {viewer} reads {got['timeSpentMinutes']} minutes on {name}, logged {expected[2]}")

    def _sweep_foreign(self, by_id: bool) -> None:
        s = self.snapshot
        home = (
            set(s.projects_of(self.home)) | s.tasks_of(self.home) | {o for o, r in s.orgs.items() if r["workspace"] == self.home}
        )
        home |= {p for p, r in s.people.items() if r["workspace"] == self.home}
        head = "projects { id } organizations { id } people { id } portalItems(first: 100) { edges { node { id } } }"
        result = self._query("foreign_admin", "query Lists { " + head + " }")
        if result.errors or result.data is None:
            self._fail(f"the other workspace's admin could not read their lists: {result.errors}")
        data = result.data
        listed = {x["id"] for key in ("projects", "organizations", "people") for x in data[key]}
        listed |= {e["node"]["id"] for e in data["portalItems"]["edges"]}
        if listed & home:
            self._fail(f"the other workspace's admin lists {self._names(listed & home)}")
        if not by_id:
            return
        items = [("project", p) for p in s.projects_of(self.home)] + [("task", t) for t in s.tasks_of(self.home)]
        items += [("organization", o) for o, r in s.orgs.items() if r["workspace"] == self.home]
        items += [("user", p) for p, r in s.people.items() if r["workspace"] == self.home]
        for i in range(0, len(items), ALIASES_PER_DOCUMENT):
            chunk = items[i : i + ALIASES_PER_DOCUMENT]
            parts = [f'a{n}: {what}(id: "{object_id}") {{ id }}' for n, (what, object_id) in enumerate(chunk)]
            result = self._query("foreign_admin", "query ById { " + " ".join(parts) + " }")
            codes = {e["path"][0]: e.get("extensions", {}).get("code") for e in result.errors if e.get("path")}
            for n, (what, object_id) in enumerate(chunk):
                if (result.data or {}).get(f"a{n}") is not None or codes.get(f"a{n}") != "NOT_FOUND":
                    self._fail(f"the other workspace's admin reads {what} {self.name_of(object_id)}: {codes.get(f'a{n}')}")

    # -- the rules --------------------------------------------------------------------------

    @rule()
    def idle(self):
        """Nothing happens. With no arguments it is the simplest step there is (rules are
        ordered by their number of arguments), which hypothesis shrinks other steps toward
        before it deletes them: without it, shrinking leaves copies of the simplest real step
        behind."""

    @precondition(lambda self: enabled("share_organization"))
    @rule(step=share_steps())
    def share_organization(self, step):
        invitee = (
            {"userId": self.id_of(step.invitee)}
            if step.by == "userId" and step.invitee != "fresh"
            else {"email": self.email_of(step.invitee)}
        )
        org = self.id_of(step.organization)
        variables = {"organizationId": org, "invitees": [invitee], "role": step.role}
        if step.expires:
            variables["expiresAt"] = expiry(step.expires)
        self.mutate(
            step, "ShareOrganizationUntil" if step.expires else "ShareOrganization", variables, [org, invitee.get("userId")]
        )

    @precondition(lambda self: enabled("share_partner"))
    @rule(step=share_partner_steps())
    def share_partner(self, step):
        """A client shared with a whole firm: each of its members holds it while a member."""
        org, firm = self.id_of(step.organization), self.id_of(step.partner)
        variables = {
            "organizationId": org,
            "invitees": [{"partnerId": firm}],
            "role": step.role,
            "expiresAt": expiry(step.expires) if step.expires else None,
        }
        self.mutate(step, "ShareOrganizationUntil", variables, [org, firm])

    @precondition(lambda self: enabled("create_partner"))
    @rule(step=create_partner_steps())
    def create_partner(self, step):
        self.mutate(step, "CreateOrganization", {"input": {"name": "New partner firm", "kind": "PARTNER"}}, [])

    @precondition(lambda self: enabled("add_partner_members"))
    @rule(step=partner_member_steps("AddPartnerMembers"))
    def add_partner_members(self, step):
        self._partner_members(step)

    @precondition(lambda self: enabled("remove_partner_members"))
    @rule(step=partner_member_steps("RemovePartnerMembers"))
    def remove_partner_members(self, step):
        self._partner_members(step)

    @precondition(lambda self: enabled("leave_partner"))
    @rule(step=leave_partner_steps())
    def leave_partner(self, step):
        """A member leaves: what the firm gave them ends with this request (the sweep reads them
        again, as their view in the model changed)."""
        self._partner_members(step)

    def _partner_members(self, step):
        firm = self.id_of(step.partner)
        if step.op == "RemovePartnerMembers":
            users = [self.id_of(u) for u in step.users]
            self.mutate(step, step.op, {"partnerId": firm, "userIds": users}, [firm, *users])
            return
        invitees = [
            {"userId": self.id_of(u)}
            if step.by == "userId" and u != "fresh"
            else {"email": self.email_of(u), "name": "Nina Newmember"}
            for u in step.users
        ]
        self.mutate(
            step, step.op, {"partnerId": firm, "invitees": invitees}, [firm, *(i["userId"] for i in invitees if "userId" in i)]
        )

    @precondition(lambda self: enabled("change_share"))
    @rule(step=change_share_steps())
    def change_share(self, step):
        share = self.id_of(step.share)
        variables = {"shareId": share} | ({"role": step.role} if step.op == "SetShareRole" else {})
        if step.op == "SetShareExpiry":
            month = (datetime.now(UTC) + timedelta(days=30)).isoformat()
            variables["expiresAt"] = month if step.expires == "in a month" else None
        before = self.snapshot
        outcome = self.mutate(step, step.op, variables, [share])
        # Changing a share (its role, its expiry, revoking it) is for admins and the client's
        # owner only: a holder never extends or upgrades their own share.
        held = before.shares.get(share)
        if outcome == "ok" and held is not None:
            actor, organization = before.people[self.ids[step.actor]], before.orgs[held["organization"]]
            manager = (actor["admin"] and actor["workspace"] == organization["workspace"]) or (
                organization["owner"] == self.ids[step.actor]
            )
            if not manager:
                self._fail(f"{step.op} by {step.actor} on {step.share} succeeded: only admins and the owner change shares")

    @precondition(lambda self: enabled("time_passes"))
    @rule(step=st.builds(TimePasses, st.sampled_from(SHARES)))
    def time_passes(self, step):
        """Nobody writes: the clock passes a share's expiry (the test dates it a second ago).
        Whatever the share gave ends on the next request, and the sweep checks every view."""
        share = self.id_of(step.share)
        if share not in self.snapshot.shares:
            return

        async def expire():
            past = datetime.now(UTC) - timedelta(seconds=1)
            await Tortoise.apps["models"]["Share"].filter(id=share).update(expires_at=past)

        self._run(expire())
        self._after(step, type("Nothing", (), {"code": None})())
        self.sweep([share])
        self._check_audiences()

    @precondition(lambda self: enabled("add_project_members"))
    @rule(step=member_steps())
    def add_project_members(self, step):
        project, users = self.id_of(step.project), [self.id_of(u) for u in step.users]
        self.mutate(step, "AddProjectMembers", {"projectId": project, "userIds": users}, [project, *users])

    @precondition(lambda self: enabled("remove_project_members") and REMOVE_MEMBERS is not None)
    @rule(step=member_steps(RemoveProjectMembers))
    def remove_project_members(self, step):
        project, users = self.id_of(step.project), [self.id_of(u) for u in step.users]
        self.mutate(step, REMOVE_MEMBERS, {"projectId": project, "userIds": users}, [project, *users])

    @precondition(lambda self: enabled("follow_project"))
    @rule(step=follow_steps())
    def follow_project(self, step):
        project = self.id_of(step.project)
        users, orgs = [self.id_of(u) for u in step.users], [self.id_of(o) for o in step.organizations]
        variables = {"projectId": project, "userIds": users or None, "organizationIds": orgs or None}
        self.mutate(step, step.op, variables, [project, *users, *orgs])

    @precondition(lambda self: enabled("add_task_people"))
    @rule(step=task_people_steps())
    def add_task_people(self, step):
        task, users = self.id_of(step.task), [self.id_of(u) for u in step.users]
        self.mutate(step, step.op, {"taskId": task, "userIds": users}, [task, *users])

    @precondition(lambda self: enabled("invite_to_project"))
    @rule(step=invite_steps())
    def invite_to_project(self, step):
        project, org = self.id_of(step.project), self.id_of(step.organization)
        variables = {
            "input": {"projectId": project, "organizationId": org, "name": "Ivy Invitee", "email": self.email_of(step.email_of)}
        }
        self.mutate(step, "InviteToProject", variables, [project, org])

    @precondition(lambda self: enabled("create_organization"))
    @rule(step=create_organization_steps())
    def create_organization(self, step):
        self.mutate(step, "CreateOrganization", {"input": {"name": "New organization", "kind": step.kind}}, [])

    @precondition(lambda self: enabled("update_organization"))
    @rule(step=update_organization_steps())
    def update_organization(self, step):
        org = self.id_of(step.organization)
        changes = {"name": "Renamed organization"} | ({"kind": step.kind} if step.kind else {})
        self.mutate(step, "UpdateOrganization", {"id": org, "input": changes}, [org])

    @precondition(lambda self: enabled("add_contact"))
    @rule(step=contact_steps())
    def add_contact(self, step):
        org = self.id_of(step.organization)
        variables = {"input": {"name": "Cyd Contact", "organizationId": org, "email": self.email_of(step.email_of)}}
        self.mutate(step, "AddContact", variables, [org])

    @precondition(lambda self: enabled("project_client"))
    @rule(step=project_client_steps())
    def project_client(self, step):
        project, client = self.id_of(step.project), self.id_of(step.client)
        if step.op == "CreateProject":
            self.mutate(step, "CreateProject", {"input": {"name": "New project", "clientId": client}}, [client])
        elif step.op == "UpdateProject":
            self.mutate(step, "UpdateProject", {"id": project, "input": {"clientId": client}}, [project, client])
        else:
            self.mutate(
                step, "AssignClientToProjects", {"clientId": client or MISSING_ID, "projectIds": [project]}, [project, client]
            )

    @precondition(lambda self: enabled("create_task"))
    @rule(step=create_task_steps())
    def create_task(self, step):
        project = self.id_of(step.project)
        if step.op == "SubmitItem":
            self.mutate(step, "SubmitItem", {"input": {"projectId": project, "title": "Submitted item"}}, [project])
            return
        requesters = [self.id_of(r) for r in step.requesters]
        variables = {
            "input": {
                "projectId": project,
                "title": "New task",
                "status": step.status,
                "labels": list(step.labels),
                "requesterIds": requesters,
            }
        }
        self.mutate(step, "CreateTask", variables, [project, *requesters])

    @precondition(lambda self: enabled("update_portal_settings"))
    @rule(step=portal_settings_steps())
    def update_portal_settings(self, step):
        variables = {"input": {"scopes": list(step.scopes), "visibleTaskFields": list(step.fields)}}
        self.mutate(step, "UpdatePortalSettings", variables, [])

    @precondition(lambda self: enabled("task_activity"))
    @rule(step=activity_steps())
    def task_activity(self, step):
        """Time and INTERNAL notes (which write no email)."""
        self._activity(step)

    @precondition(lambda self: enabled("public_message"))
    @rule(step=public_message_steps())
    def public_message(self, step):
        """A PUBLIC message, emailed to its audience: a rule of its own, so that emails are
        written often."""
        self._activity(step)

    def _activity(self, step):
        task = self.id_of(step.task)
        if step.op == "LogTime":
            self.mutate(step, "LogTime", {"input": {"taskId": task, "minutes": 7, "date": LOG_DATE}}, [task])
        elif step.op == "PortalReply":
            self.mutate(step, "PortalReply", {"taskId": task, "body": "A reply"}, [task])
        else:
            visibility = step.op.split(":")[1]
            variables = {"input": {"taskId": task, "body": f"{visibility.lower()} note", "visibility": visibility}}
            firm = self.snapshot.kind(self.ids[step.actor]) in ("staff", "admin")
            preview = self._check_preview(step, task) if visibility == "PUBLIC" and firm else None
            outcome = self.mutate(step, "PostMessage", variables, [task])
            if preview not in (None, outcome):
                self._fail(f"messageRecipients of {step.task} for {step.actor} answers {preview}, posting there {outcome}")

    @precondition(lambda self: enabled("read_project_tasks"))
    @rule(step=read_steps())
    def read_project_tasks(self, step):
        """A filtered read: exact for whoever may see the field, refused or ignored otherwise."""
        s = self.snapshot
        project = self.id_of(step.project)
        variables = {"projectId": project, "first": 100, "status": step.status, "labels": list(step.labels or []) or None}
        result = self._run(self.api("ProjectTasks", variables, token=self.tokens[step.actor]))
        outcome = result.code or "ok"
        self.log.append(f"{step} -> {outcome}")
        if currently_in_test_context():  # the machine also runs by hand, to replay an example
            note(f"{step} -> {outcome}")
        pid = self.ids[step.actor]
        kind = s.kind(pid)
        must_p, may_p, must_t, may_t = s.reach(pid)
        if project not in may_p:
            if outcome != "NOT_FOUND":
                self._fail(f"{step.actor} ({kind}) reads the tasks of {step.project}: {outcome} ({self._why(step.actor, kind)})")
            return
        if outcome != "ok" or result.data["project"] is None:
            if project in must_p:
                self._fail(f"{step.actor} cannot read the tasks of {step.project}: {result.errors}")
            if outcome != "BAD_USER_INPUT":
                return
        got = (
            set()
            if result.data is None or result.data.get("project") is None
            else {e["node"]["id"] for e in result.data["project"]["tasks"]["edges"]}
        )
        visible = {t for t in (must_t if kind == "client" else may_t) if s.tasks[t]["project"] == project}
        matching = {
            t
            for t in visible
            if (step.status is None or s.tasks[t]["status"] == step.status) and set(step.labels or ()) <= s.tasks[t]["labels"]
        }
        _, fields = s.portal[self.home]
        hidden = (step.status is not None and "STATUS" not in fields) or (step.labels and "LABELS" not in fields)
        if kind == "client" and hidden:
            if outcome == "BAD_USER_INPUT" or got == visible:
                return
            self._fail(
                f"client {step.actor} filters {step.project} on a field hidden from clients "
                f"(status={step.status}, labels={step.labels}) and gets {self._names(got)} of {self._names(visible)}"
                f" (matching: {self._names(matching)})"
            )
        if outcome != "ok":
            self._fail(f"{step.actor} may filter {step.project} but got {result.errors}")
        if got != matching:
            self._fail(
                f"{step.actor} filters {step.project} (status={step.status}, labels={step.labels}): "
                f"{self._names(got)}, expected {self._names(matching)}"
            )

    @precondition(lambda self: enabled("item_notifications"))
    @rule(step=notice_steps())
    def item_notifications(self, step):
        """Following or muting an item succeeds exactly for who sees it; copying colleagues on it
        exactly for a client who sees it, naming people of their organization (not themselves, not
        an admin) whom the portal shows it: a copy never reaches anyone the item does not."""
        s = self.snapshot
        actor, task = self.ids[step.actor], self.id_of(step.task)
        must_t, may_t = s.reach(actor)[2:]
        if isinstance(step, SetItemNotifications):
            outcome = self.mutate(step, SET_NOTIFICATIONS, {"taskId": task, "level": step.level}, [task])
            allowed, certain = task in may_t, task in must_t
        else:
            users = [self.id_of(u) for u in step.users]
            outcome = self.mutate(step, CC_COLLEAGUES, {"taskId": task, "userIds": users}, [task, *users])
            organization = s.people[actor]["organization"]
            allowed = certain = (
                s.kind(actor) == "client"
                and task in s.client_tasks(actor)
                and all(
                    u in s.people
                    and u != actor
                    and s.people[u]["organization"] == organization
                    and not s.people[u]["admin"]
                    and s.people[u]["workspace"] == s.people[actor]["workspace"]
                    and task in s.client_tasks(u)
                    for u in users
                )
            )
        if outcome == "ok" and not allowed:
            self._fail(f"{step} succeeded, which the model refuses ({self._why(step.actor, s.kind(actor))})")
        if outcome != "ok" and certain:
            self._fail(f"{step} was refused ({outcome}), which the model allows")

    @precondition(lambda self: enabled("preview_as_client"))
    @rule(step=preview_steps())
    def preview_as_client(self, step):
        """A preview never writes (its audit entry aside, on a read) and never shows more than
        the previewed person sees: exactly their own answer, and their tasks in the model."""
        s = self.snapshot
        actor, person = self.ids[step.actor], self.id_of(step.person)
        variables = {
            "PortalHome": {"first": 100},
            "SubmitItem": {"input": {"projectId": self.ids["acme_project"], "title": "From a preview"}},
            "PortalReply": {"taskId": self.ids["acme_task"], "body": "From a preview"},
            "AddProjectMembers": {"projectId": self.ids["acme_project"], "userIds": [actor]},
        }.get(step.operation, {})
        before = self._run(read_tables())
        result = self._run(self.api(step.operation, variables, token=self.tokens[step.actor], view_as=person))
        after = self._run(read_tables())
        outcome = self._after(step, result)
        allowed = s.may_preview(actor, person)
        changed = [t for t in before if t != "audit_entry" and before[t] != after[t]]
        if changed:
            self._fail(f"{step} ({outcome}) changed {changed}")
        new = [r for r in after["audit_entry"] if r not in before["audit_entry"]]
        logged = [(r["action"], row_id(r["actor_id"]), row_id(r["organization_id"])) for r in new]
        if not allowed or step.operation in PREVIEW_WRITES:
            if outcome != "FORBIDDEN" or result.data is not None or new:
                self._fail(f"{step} (allowed: {allowed}): {outcome}, {result.data}, audit {logged}")
            return
        if outcome != "ok":
            self._fail(f"{step.actor} may preview {step.person} but got {result.errors}")
        if logged not in ([], [("portal.preview", actor, s.people[person]["organization"])]):
            self._fail(f"{step} wrote to the audit log: {logged}")
        if step.person in self.tokens:
            own = self._run(self.api(step.operation, variables, token=self.tokens[step.person]))
            if own.data != result.data:
                self._fail(f"{step}: {result.data}, but {step.person} sees {own.data}")
        if step.operation == "PortalHome":
            got = {e["node"]["id"] for e in result.data["portalItems"]["edges"]}
            if got != s.reach(person)[2]:
                self._fail(f"{step}: {self._names(got)}, the model: {self._names(s.reach(person)[2])}")


def expiry(name: str) -> str:
    return (datetime.now(UTC) + EXPIRY_OFFSETS[name]).isoformat()


def _remove_members_operation() -> str | None:
    """removeProjectMembers is being added (../shared/contract/planned/access.graphql): a step only once
    the schema has it."""
    schema = (Path(__file__).parents[1] / "schema.graphql").read_text()
    if "removeProjectMembers" not in schema:
        return None
    return CONTRACT.get("RemoveProjectMembers") or (
        "mutation RemoveProjectMembers($projectId: ID!, $userIds: [ID!]!) { "
        "removeProjectMembers(projectId: $projectId, userIds: $userIds) { id members { id } } }"
    )


REMOVE_MEMBERS = _remove_members_operation()
# CLIENTELA_ESCALATION_STATS=1: print how often each step ran and how it ended.
STATS: dict | None = {} if os.environ.get("CLIENTELA_ESCALATION_STATS") == "1" else None
ONLY_RULES = {r.strip() for r in os.environ.get("CLIENTELA_ESCALATION_RULES", "").split(",") if r.strip()}


def enabled(rule_name: str) -> bool:
    return not ONLY_RULES or rule_name in ONLY_RULES


SETTINGS = settings(
    max_examples=int(os.environ.get("CLIENTELA_ESCALATION_EXAMPLES", "50")),
    stateful_step_count=int(os.environ.get("CLIENTELA_ESCALATION_STEPS", "30")),
    deadline=None,
    derandomize=os.environ.get("CLIENTELA_ESCALATION_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
    # CLIENTELA_ESCALATION_SHRINK=0: report the first failing example as found, unshrunk.
    phases=[
        p
        for p in Phase
        if p is not Phase.explain and (p is not Phase.shrink or os.environ.get("CLIENTELA_ESCALATION_SHRINK") != "0")
    ],
)


async def test_no_sequence_of_writes_escalates(api, database):
    loop = asyncio.get_running_loop()

    def run(coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    EscalationMachine.api, EscalationMachine.run = api, staticmethod(run)
    EscalationMachine.seed_checked = False
    try:
        await asyncio.to_thread(run_state_machine_as_test, EscalationMachine, settings=SETTINGS)
    finally:
        EscalationMachine.api = EscalationMachine.run = None
        if STATS:
            print("\n".join(f"{key:40} {value:.1f}" for key, value in sorted(STATS.items())))
