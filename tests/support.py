"""Helpers for tests: the contract's operations, a GraphQL client over real HTTP (ASGI), and a
factory that builds workspaces, organizations and people quickly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from graphql import OperationDefinitionNode, parse, print_ast

from clientela.accounts.services import _start_session, create_workspace
from clientela.core.validation import fold
from clientela.organizations.models import Organization, OrganizationKind
from clientela.people.models import ContactPrivacy, User

CONTRACT_DIR = Path(__file__).parent / "contract"


def _load_contract() -> dict[str, str]:
    operations: dict[str, str] = {}
    for path in sorted(CONTRACT_DIR.glob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                operations[definition.name.value] = print_ast(definition)
    return operations


CONTRACT = _load_contract()


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

    async def __call__(self, operation: str, variables: dict | None = None, *, token: str | None = None) -> Result:
        """Run a contract operation by name, or any GraphQL document."""
        query = CONTRACT.get(operation, operation)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
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


class Factory:
    """Builds test data directly through the models and services: fast, no password hashing."""

    def __init__(self) -> None:
        self.counter = 0

    def _unique(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    async def workspace(self, name: str = "Firm", language: str = "en") -> Person:
        """A new workspace; returns its admin, signed in."""
        email = f"{self._unique('admin')}@firm.example"
        admin = await create_workspace(
            workspace_name=name, name="Ada Admin", email=email, password="correct horse battery", language=language
        )
        return await self.sign_in(admin)

    async def sign_in(self, user: User) -> Person:
        signed_in = await _start_session(user)
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
