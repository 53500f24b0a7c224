"""Input that is not what it claims to be: decimals out of range, control characters in names."""

import json
from decimal import Decimal

import pytest

from clientela.organizations.models import Organization
from clientela.people.models import User
from clientela.projects.models import Project
from clientela.tasks.models import Task
from clientela.workspaces.models import Workspace
from support import CONTRACT, Result


@pytest.mark.parametrize("amount", ["1E+999999", "1e-999999", "NaN", "Infinity", "-Infinity", "-0.001", "12.345", "1e12", 1e300])
async def test_decimals_out_of_range_are_bad_user_input_and_write_nothing(api, world, amount):
    for field in ("budget", "hourlyRate"):
        created = await api(
            "CreateProject", {"input": {"name": "Costly", "clientId": str(world.acme.id), field: amount}}, token=world.admin.token
        )
        assert created.code == "BAD_USER_INPUT" and created.errors[0]["extensions"]["field"] == field, created.errors
        updated = await api(
            "UpdateProject", {"id": str(world.acme_project.id), "input": {field: amount}}, token=world.admin.token
        )
        assert updated.code == "BAD_USER_INPUT" and updated.errors[0]["extensions"]["field"] == field, updated.errors
    assert not await Project.filter(name="Costly").exists()
    unchanged = await Project.get(id=world.acme_project.id)
    assert (unchanged.budget, unchanged.hourly_rate) == (Decimal("1000.00"), Decimal("60.00"))


async def test_a_negative_zero_amount_is_zero(api, world):
    created = (await api("CreateProject", {"input": {"name": "Free", "budget": "-0"}}, token=world.admin.token)).ok()
    page = (await api("ProjectPage", {"id": created["createProject"]["id"]}, token=world.admin.token)).ok()
    assert page["project"]["budget"]["amount"] == "0.00"


NOT_TEXT = ["\r\nBcc: everyone@example.com", "\n", "\x00", "\x1b[31m", "\u202egnp.exe", "\ufeff", "\ud800"]


async def send(api, operation: str, variables: dict, token: str) -> Result:
    # JSON escapes (\ud800), as a client may send them; httpx would refuse to encode a lone surrogate.
    body = json.dumps({"query": CONTRACT[operation], "variables": variables})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    answer = (await api.client.post("/graphql", content=body, headers=headers)).json()
    return Result(data=answer.get("data"), errors=answer.get("errors") or [])


@pytest.mark.parametrize("bad", NOT_TEXT, ids=repr)
async def test_control_characters_in_names_emails_and_labels_are_refused_and_nothing_is_written(api, world, bad):
    before = [await model.all().count() for model in (Workspace, Organization, User, Task)]
    attempts = [
        (
            "SignUp",
            {
                "input": {
                    "workspaceName": "W",
                    "name": f"Ana{bad}Admin",
                    "email": "ana@w.example",
                    "password": "long enough secret",
                }
            },
            "name",
        ),
        (
            "SignUp",
            {"input": {"workspaceName": f"W{bad}W", "name": "Ana", "email": "ana@w.example", "password": "long enough secret"}},
            "workspaceName",
        ),
        (
            "SignUp",
            {"input": {"workspaceName": "W", "name": "Ana", "email": f"ana{bad}@w.example", "password": "long enough secret"}},
            "email",
        ),
        ("CreateOrganization", {"input": {"name": f"Acme{bad}Ltd", "kind": "CLIENT"}}, "name"),
        ("AddContact", {"input": {"name": f"Bob{bad}Smith", "organizationId": str(world.acme.id)}}, "name"),
        (
            "AddContact",
            {"input": {"name": "Bob", "email": f"bob{bad}@acme.example", "organizationId": str(world.acme.id)}},
            "email",
        ),
        ("CreateTask", {"input": {"projectId": str(world.acme_project.id), "title": f"Fix{bad}it"}}, "title"),
        ("CreateTask", {"input": {"projectId": str(world.acme_project.id), "title": "Fix", "labels": [f"u{bad}x"]}}, "labels"),
        (
            "CreateTask",
            {"input": {"projectId": str(world.acme_project.id), "title": "Fix", "description": f"x{bad}x"}},
            "description",
        ),
    ]
    for operation, variables, field in attempts:
        if field == "description" and bad.startswith(("\r\n", "\n")):
            continue  # descriptions have lines
        result = await send(api, operation, variables, world.admin.token)
        assert result.code == "BAD_USER_INPUT", (operation, field, result.errors)
        assert result.errors[0]["extensions"]["field"] == field, (operation, field, result.errors)
    assert [await model.all().count() for model in (Workspace, Organization, User, Task)] == before


async def test_descriptions_keep_lines_and_tabs_and_labels_keep_joiners(api, world):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    variables = {"id": str(world.acme_task.id), "input": {"description": "a\r\n\tb\rc", "labels": [family]}}
    updated = (await api("UpdateTask", variables, token=world.admin.token)).ok()["updateTask"]
    assert updated["labels"] == [family]
    assert (await Task.get(id=world.acme_task.id)).description == "a\n\tb\nc"


@pytest.mark.parametrize("value", ["000:", "2026-13-45T99:00", "12/31/2026"])
async def test_a_malformed_date_time_says_the_format_and_not_the_parsers_exception(api, world, value):
    document = "mutation ($id: ID!, $at: DateTime) { setShareExpiry(shareId: $id, expiresAt: $at) { id } }"
    result = await api(document, {"id": str(world.acme.id), "at": value}, token=world.admin.token)
    message = result.errors[0]["message"]
    assert result.code == "BAD_USER_INPUT" and "Expected ISO 8601, e.g. 2026-12-31T17:00:00Z." in message, message
    assert "invalid literal" not in message and "int()" not in message
