"""Helpers for tests: the contract's operations, a GraphQL client over real HTTP (ASGI), and a
factory that builds workspaces, organizations and people quickly."""

from __future__ import annotations

import functools
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse, print_ast

from clientela.accounts import passwords, sessions
from clientela.accounts.services import create_workspace
from clientela.core.statements import counting
from clientela.core.validation import fold
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people.models import ContactPrivacy, User

CONTRACT_DIR = Path(__file__).parent / "contract"


async def wipe_database() -> None:
    from tortoise import Tortoise, connections

    from clientela import db

    conn = connections.get("default")
    tables = [model._meta.db_table for model in Tortoise.apps["models"].values()]
    if db.is_postgres():
        await conn.execute_script("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    else:
        await conn.execute_script(
            "PRAGMA foreign_keys = OFF;" + "".join(f'DELETE FROM "{t}";' for t in tables) + "PRAGMA foreign_keys = ON;"
        )


def _load_contract() -> dict[str, str]:
    operations: dict[str, str] = {}
    # Planned operations are binding once adopted: copied into contract/planned/.
    for path in sorted(CONTRACT_DIR.glob("*.graphql")) + sorted(CONTRACT_DIR.glob("planned/*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                operations[definition.name.value] = print_ast(definition)
    return operations


CONTRACT = _load_contract()


def operations_in(name: str) -> dict[str, str]:
    """The operations of tests/operations/`name` (documents of the UIs that are not in the
    contract yet), by name, each with the fragments of the file when it spreads any."""
    definitions = parse((Path(__file__).parent / "operations" / name).read_text()).definitions
    fragments = "\n".join(print_ast(d) for d in definitions if isinstance(d, FragmentDefinitionNode))
    return {
        d.name.value: print_ast(d) + ("\n" + fragments if "..." in print_ast(d) else "")
        for d in definitions
        if isinstance(d, OperationDefinitionNode)
    }


@dataclass
class Result:
    data: dict | None
    errors: list[dict] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]

    @property
    def code(self) -> str | None:
        return self.codes[0] if self.errors else None

    def ok(self) -> dict:
        assert not self.errors, self.errors
        return self.data


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def __call__(
        self, operation: str, variables: dict | None = None, *, token: str | None = None, view_as: str | None = None
    ) -> Result:
        """Run a contract operation by name, or any GraphQL document; `view_as`: as a preview of
        the portal as that client person (the Clientela-View-As header)."""
        query = CONTRACT.get(operation, operation)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if view_as is not None:
            headers["Clientela-View-As"] = view_as
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        body = response.json()
        return Result(data=body.get("data"), errors=body.get("errors") or [])


@dataclass
class Person:
    user: User
    token: str

    @property
    def id(self) -> str:
        return str(self.user.id)


ADMIN_PASSWORD = "correct horse battery"


@functools.lru_cache(maxsize=4)
def _hash_once_blocking(password: str) -> str:
    return passwords._hash_blocking(password)


async def _hash_once(password: str) -> str:
    return _hash_once_blocking(password)


class Factory:
    """Builds test data directly through the models and services: fast, no password hashing."""

    def __init__(self) -> None:
        self.counter = 0

    def _unique(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    async def workspace(self, name: str = "Firm", language: str = "en") -> Person:
        """A new workspace; returns its admin, signed in (password ADMIN_PASSWORD)."""
        email = f"{self._unique('admin')}@firm.example"
        # Argon2 is slow on purpose; every factory admin shares one hash of the same password.
        with mock.patch.object(passwords, "hash_password", _hash_once):
            admin = await create_workspace(
                workspace_name=name, name="Ada Admin", email=email, password=ADMIN_PASSWORD, language=language
            )
        return await self.sign_in(admin)

    async def sign_in(self, user: User) -> Person:
        signed_in = await sessions.start(user, kept=False)
        return Person(user=await User.get(id=user.id), token=signed_in.token)

    async def organization(self, admin: Person, name: str, kind: OrganizationKind = OrganizationKind.CLIENT, **extra) -> Organization:
        owner = admin.user.id if kind is OrganizationKind.CLIENT else None
        return await Organization.create(workspace_id=admin.user.workspace_id, name=name, kind=kind, owner_id=owner, **extra)

    async def person(
        self,
        admin: Person,
        organization: Organization | None,
        name: str | None = None,
        *,
        privacy: ContactPrivacy = ContactPrivacy.VISIBLE_TO_ALL,
        email: str | None = None,
        **extra: Any,
    ) -> Person:
        name = name or self._unique("Person ")
        email = email or f"{uuid.uuid4().hex[:10]}@people.example"
        user = await User.create(
            workspace_id=admin.user.workspace_id,
            organization=organization,
            name=name,
            email=email,
            phone="+1 555 0100",
            search_text=fold(f"{name} {email}"),
            privacy=privacy,
            **extra,
        )
        return await self.sign_in(user)


@dataclass
class World:
    """One workspace with every kind of viewer, and a second workspace beside it."""

    admin: Person
    staff: Person
    outsider_staff: Person
    owner: Person
    csr: Person
    consultant: Person
    client: Person
    other_client: Person
    foreign_admin: Person
    team: Organization
    acme: Organization
    globex: Organization
    acme_project: Any
    globex_project: Any
    internal_project: Any
    acme_task: Any
    globex_task: Any
    internal_task: Any
    foreign_project: Any
    foreign_task: Any
    # Partner firms, for the tests that need them (add_partner_firms): absent from the world as built.
    partner: Organization | None = None
    other_partner: Organization | None = None
    partner_member: Person | None = None


async def build_world(factory: Factory) -> World:
    from decimal import Decimal

    from clientela.conversations.models import Message, MessageVisibility
    from clientela.projects.models import Project, ProjectFollower, ProjectMember
    from clientela.sharing.models import Share, ShareRole, ShareStatus
    from clientela.tasks.models import Task, TaskRequester, TimeEntry
    from clientela.tasks.repository import next_ref

    admin = await factory.workspace("Northwind")
    team = await Organization.get(id=admin.user.organization_id)
    staff = await factory.person(admin, team, "Sam Staff", privacy=ContactPrivacy.HIDDEN_FROM_CLIENTS)
    outsider_staff = await factory.person(admin, team, "Olga Outsider")
    owner = await factory.person(admin, team, "Owen Owner")
    acme = await factory.organization(admin, "Acme")
    acme.owner_id = owner.user.id
    await acme.save()
    globex = await factory.organization(admin, "Globex")
    csr = await factory.person(admin, None, "Cora CSR")
    consultant = await factory.person(admin, None, "Carl Consultant")
    await Share.create(organization=acme, user=csr.user, role=ShareRole.CSR, status=ShareStatus.ACCEPTED)
    await Share.create(organization=acme, user=consultant.user, role=ShareRole.CONSULTANT, status=ShareStatus.ACCEPTED)
    client = await factory.person(admin, acme, "Clara Client")
    other_client = await factory.person(admin, globex, "Gus Globex")
    workspace_id = admin.user.workspace_id

    async def project(name, client_org, **extra):
        return await Project.create(
            workspace_id=workspace_id, name=name, client=client_org, budget=Decimal("1000.00"), hourly_rate=Decimal("60.00"), **extra
        )

    acme_project = await project("Acme site", acme)
    globex_project = await project("Globex audit", globex)
    internal_project = await project("Internal tooling", None)
    for p in (acme_project, internal_project):
        await ProjectMember.create(project=p, user=staff.user)
    await ProjectFollower.create(project=acme_project, organization=acme)
    await ProjectFollower.create(project=globex_project, organization=globex)

    async def task(p, title, requester=None):
        t = await Task.create(
            workspace_id=workspace_id, project=p, title=title, description="Details", estimated_minutes=120, ref=await next_ref(p)
        )
        if requester:
            await TaskRequester.of(t.id, requester.user).save()
        await TimeEntry.create(task=t, user=staff.user, minutes=90, date="2026-11-02", billable=True)
        await Message.create(workspace_id=workspace_id, task=t, author=staff.user, body=f"internal note on {title}", visibility=MessageVisibility.INTERNAL)
        await Message.create(workspace_id=workspace_id, task=t, author=staff.user, body=f"public reply on {title}", visibility=MessageVisibility.PUBLIC)
        return t

    acme_task = await task(acme_project, "Acme home page", client)
    globex_task = await task(globex_project, "Globex findings", other_client)
    internal_task = await task(internal_project, "Internal wiki")

    foreign_admin = await factory.workspace("Elsewhere")
    foreign_project = await Project.create(workspace_id=foreign_admin.user.workspace_id, name="Foreign")
    foreign_task = await Task.create(
        workspace_id=foreign_admin.user.workspace_id, project=foreign_project, title="Foreign task", ref=await next_ref(foreign_project)
    )
    return World(**{k: v for k, v in locals().items() if k in World.__dataclass_fields__})


async def add_partner_firms(world: World, factory: Factory) -> World:
    """Two PARTNER firms beside the world: `partner`, whose one member `partner_member` (an
    outside person, in no organization) holds through it a CSR share of Acme, and
    `other_partner`, with no members and no shares."""
    from clientela.partners.models import PartnerMember
    from clientela.sharing.models import Share, ShareRole, ShareStatus

    world.partner = await factory.organization(world.admin, "Pine Partners", OrganizationKind.PARTNER)
    world.other_partner = await factory.organization(world.admin, "Oak Partners", OrganizationKind.PARTNER)
    world.partner_member = await factory.person(world.admin, None, "Pia Partner")
    await PartnerMember.create(partner=world.partner, user=world.partner_member.user)
    await Share.create(organization=world.acme, partner=world.partner, role=ShareRole.CSR, status=ShareStatus.ACCEPTED)
    return world


# Counts the SQL statements sent inside a `with` block, as each request's log line and metrics
# count them: `.count`, and their texts in `.statements`.
QueryCounter = counting


def stop_process(process: subprocess.Popen) -> None:
    """Ends a server the tests started: asked to stop, then killed if it has not within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
