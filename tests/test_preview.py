"""Preview as a client: with the `Clientela-View-As: <person id>` header, a request runs exactly
as that client person sees it. Admins, and the OWNER or a CSR of the person's client, may
preview; anyone else is refused alike for every id; a preview writes nothing and is written to
the client's audit log once per previewer, person and hour."""

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from graphql import OperationType, parse

from clientela.accounts import preview
from clientela.audit.models import AuditEntry
from clientela.sharing.models import Share, ShareStatus
from support import CONTRACT, Result, add_partner_firms
from test_contract_matrix import MATRIX, client_secrets, csr_share, fingerprint
from test_fair_use import SLOW, _client, _settings


@pytest.fixture
async def world(world, factory):
    """The contract matrix's world: with partner firms, one of whose members is a viewer."""
    return await add_partner_firms(world, factory)

HEADER = "Clientela-View-As"
REFUSED = "You may not preview the portal as this person."


async def as_(api, operation, variables=None, *, token=None, view_as=None, method="POST") -> Result:
    """`api(operation, …)` with the preview header (when `view_as` is given)."""
    query = CONTRACT.get(operation, operation)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if view_as is not None:
        headers[HEADER] = str(view_as)
    if method == "GET":
        response = await api.client.get("/graphql", params={"query": query}, headers=headers)
    else:
        response = await api.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    body = response.json()
    return Result(data=body.get("data"), errors=body.get("errors") or [])


def is_query(operation: str) -> bool:
    return parse(CONTRACT[operation]).definitions[0].operation is OperationType.QUERY


QUERIES = sorted(name for name in MATRIX if is_query(name))
MUTATIONS = sorted(name for name in MATRIX if not is_query(name))


def test_the_contract_has_queries_and_mutations_to_preview():
    assert len(QUERIES) >= 15 and len(MUTATIONS) >= 25


@pytest.mark.parametrize("operation", QUERIES)
async def test_a_preview_answers_every_query_exactly_as_the_client_sees_it(api, world, operation):
    variables_for, _ = MATRIX[operation]
    world.share_id = await csr_share(world)
    secrets = await client_secrets(world)
    variables = variables_for(world, world.client)
    own = await api(operation, variables, token=world.client.token)
    for previewer in (world.admin, world.owner, world.csr):
        previewed = await as_(api, operation, variables, token=previewer.token, view_as=world.client.id)
        assert (previewed.code, previewed.data) == (own.code, own.data), previewer.user.name
        assert not [secret for secret in secrets if secret in json.dumps(previewed.data)]
    # And not what the previewer sees with their own eyes, where that differs.
    if operation in ("Viewer", "PortalHome", "Organizations"):
        assert (await api(operation, variables, token=world.admin.token)).data != own.data


@pytest.mark.parametrize("operation", MUTATIONS)
async def test_every_mutation_during_a_preview_is_forbidden_and_writes_nothing(api, world, operation):
    variables_for, _ = MATRIX[operation]
    world.share_id = await csr_share(world)
    assert (await as_(api, "Viewer", token=world.admin.token, view_as=world.client.id)).ok()  # logged this hour
    for previewer in (world.admin, world.owner):
        before = await fingerprint()
        result = await as_(api, operation, variables_for(world, world.client), token=previewer.token, view_as=world.client.id)
        assert result.code == "FORBIDDEN" and result.data is None, result.errors
        assert "read-only" in result.errors[0]["message"]
        assert await fingerprint() == before
    # Nothing written, not even the preview's audit entry.
    assert await AuditEntry.filter(actor_id=world.owner.user.id).count() == 0
    # A mutation with the header is refused even when nobody could preview: no enumeration.
    result = await as_(api, operation, variables_for(world, world.client), token=world.staff.token, view_as=world.client.id)
    assert result.code == "FORBIDDEN"


async def test_who_may_preview_whom(api, factory, world):
    """Admins of the workspace, and the client's OWNER and CSRs (a live share); nobody else.
    Every id refused gets the same answer, whether the person exists or not."""
    question = "query { viewer { id name } }"
    for previewer in (world.admin, world.owner, world.csr):
        seen = await as_(api, question, token=previewer.token, view_as=world.client.id)
        assert seen.ok()["viewer"] == {"id": world.client.id, "name": "Clara Client"}
        assert (await as_(api, question, token=previewer.token, view_as=world.client.id, method="GET")).ok()

    foreign_client = await factory.person(world.foreign_admin, await factory.organization(world.foreign_admin, "Far"))
    refused = {
        "a consultant of the client": (world.consultant, world.client),
        "staff not holding the client": (world.staff, world.client),
        "staff outside the client's projects": (world.outsider_staff, world.client),
        "a colleague of the client": (world.other_client, world.other_client),
        "another client's person": (world.client, world.other_client),
        "the owner, a client they do not hold": (world.owner, world.other_client),
        "the CSR, a client they do not hold": (world.csr, world.other_client),
        "an admin, a staff member": (world.admin, world.staff),
        "an admin, themselves": (world.admin, world.admin),
        "an admin, a consultant": (world.admin, world.consultant),
        "an admin, a person of another workspace": (world.admin, foreign_client),
        "the other workspace's admin": (world.foreign_admin, world.client),
        "an admin, an unknown id": (world.admin, uuid.uuid4()),
        "an admin, not an id": (world.admin, "not-an-id"),
        "an admin, an empty header": (world.admin, ""),
    }
    for what, (previewer, person) in refused.items():
        result = await as_(api, question, token=previewer.token, view_as=getattr(person, "id", person))
        assert (result.code, result.data) == ("FORBIDDEN", None), what
        assert [e["message"] for e in result.errors] == [REFUSED], what

    # Signed out: sign in first.
    anonymous = await as_(api, question, view_as=world.client.id)
    assert anonymous.code == "UNAUTHENTICATED" and anonymous.data is None
    assert (await as_(api, "LogIn", {"email": "x@y.example", "password": "whatever"}, view_as=world.client.id)).code == "UNAUTHENTICATED"

    # A CSR whose share is revoked may no longer preview, on the next request.
    await Share.filter(user_id=world.csr.user.id).update(status=ShareStatus.REVOKED)
    assert (await as_(api, question, token=world.csr.token, view_as=world.client.id)).code == "FORBIDDEN"


async def test_a_preview_is_in_the_clients_audit_log_once_per_previewer_person_and_hour(api, world, monkeypatch):
    start = preview.now()
    monkeypatch.setattr(preview, "now", lambda: start.replace(minute=5))
    for _ in range(2):
        assert (await as_(api, "PortalHome", {"first": 5}, token=world.admin.token, view_as=world.client.id)).ok()
    log = await api("AuditLog", {"organizationId": str(world.acme.id)}, token=world.owner.token)
    entries = [edge["node"] for edge in log.ok()["auditLog"]["edges"]]
    assert [(e["actor"]["name"], e["summary"]) for e in entries] == [("Ada Admin", "previewed the portal as Clara Client")]

    # Later in the same hour: still one; the next hour, another; another previewer, their own.
    monkeypatch.setattr(preview, "now", lambda: start.replace(minute=55))
    assert (await as_(api, "Viewer", token=world.admin.token, view_as=world.client.id)).ok()
    assert await AuditEntry.filter(organization_id=world.acme.id).count() == 1
    monkeypatch.setattr(preview, "now", lambda: start.replace(minute=5) + timedelta(hours=1))
    assert (await as_(api, "Viewer", token=world.admin.token, view_as=world.client.id)).ok()
    assert (await as_(api, "Viewer", token=world.owner.token, view_as=world.client.id)).ok()
    entries = await AuditEntry.filter(organization_id=world.acme.id).order_by("id").prefetch_related("actor")
    assert [(e.actor.name, e.action) for e in entries] == [
        ("Ada Admin", "portal.preview"), ("Ada Admin", "portal.preview"), ("Owen Owner", "portal.preview")
    ]
    # A refused preview, a document that never ran, and a refused mutation log nothing.
    await as_(api, "Viewer", token=world.consultant.token, view_as=world.client.id)
    await as_(api, "query { nope }", token=world.csr.token, view_as=world.client.id)
    await as_(api, "LogOut", token=world.csr.token, view_as=world.client.id)
    assert await AuditEntry.filter(organization_id=world.acme.id).count() == 3


async def test_concurrent_previews_in_the_same_hour_leave_one_entry(api, world, monkeypatch):
    from clientela.audit import repository

    async def never_there(**_):  # as if every writer had looked before any of them wrote
        return False

    monkeypatch.setattr(repository.AuditEntry, "exists", never_there)
    results = await asyncio.gather(
        *(as_(api, "Viewer", token=world.admin.token, view_as=world.client.id) for _ in range(5))
    )
    assert all(r.ok() for r in results)
    assert await AuditEntry.filter(organization_id=world.acme.id, action="portal.preview").count() == 1


async def test_the_csv_report_refuses_a_preview(api, world):
    path = "/reports/time.csv?from=2026-11-01&to=2026-11-30"

    async def get(token=None, view_as=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if view_as is not None:
            headers[HEADER] = view_as
        return await api.client.get(path, headers=headers)

    assert (await get(world.admin.token)).status_code == 200
    refused = await get(world.admin.token, world.client.id)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    assert "Acme" not in refused.text
    assert (await get(world.staff.token, world.client.id)).json() == {"error": REFUSED, "code": "FORBIDDEN"}
    assert (await get(None, world.client.id)).status_code == 401


async def test_a_preview_spends_the_previewers_own_budget(world):
    async with _client(_settings(fair_use_burst=3, fair_use_requests_per_second=SLOW)) as api:
        codes = [(await as_(api, "Viewer", token=world.admin.token, view_as=world.client.id)).code for _ in range(4)]
        assert codes == [None, None, None, "RATE_LIMITED"]
        # The previewer's own requests share that budget; the client's session has its own.
        assert (await api("Viewer", token=world.admin.token)).code == "RATE_LIMITED"
        assert (await api("Viewer", token=world.client.token)).ok()
