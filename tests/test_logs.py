"""What `clientela serve` logs: outside development one JSON object per line, each request's
line with its id, operation, viewer kind, duration and SQL statements, and never a password, a
token or an email's body; in development, lines for people."""

from __future__ import annotations

import asyncio
import json
import re

import httpx

from clientela import db
from serving import serving
from support import CONTRACT

PASSWORD = "a-password-nobody-logs-4417"
BODY = "The vault opens with ZEBRA-0931, keep it between us."


async def _delivered(smtp_server, needle: str) -> str:
    """The text of the first email delivered that contains `needle` (the worker polls each second)."""
    for _ in range(600):
        for message in smtp_server.messages:
            text = message.get_body(("plain",)).get_content()
            if needle in text:
                return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"no email with {needle!r} was delivered")


async def test_outside_development_logs_are_json_lines_without_passwords_tokens_or_email_bodies(database, world, smtp_server):
    production = {
        "CLIENTELA_DEVELOPMENT": "false",
        "CLIENTELA_SLOW_QUERY_SECONDS": "0",  # every request (and on PostgreSQL every statement) logged with its SQL
        "CLIENTELA_SMTP_HOST": "127.0.0.1",
        "CLIENTELA_SMTP_PORT": str(smtp_server.port),
    }
    async with serving(database, **production) as served, httpx.AsyncClient(base_url=served.url) as http:

        async def call(operation: str, variables: dict, token: str | None = None) -> dict:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {"query": CONTRACT[operation], "operationName": operation, "variables": variables}
            answer = (await http.post("/graphql", json=body, headers=headers)).json()
            assert not answer.get("errors"), answer
            return answer["data"]

        email = world.client.user.email
        await call("RequestPasswordReset", {"email": email})
        reset_token = re.search(r"set-password\?token=([\w-]+)", await _delivered(smtp_server, "set-password?token=")).group(1)
        assert (await http.get("/set-password", params={"token": reset_token})).status_code == 200
        await call("ResetPassword", {"token": reset_token, "password": PASSWORD})
        session = (await call("LogIn", {"email": email, "password": PASSWORD}))["logIn"]["token"]
        await call("Viewer", {}, token=session)
        message = {"taskId": str(world.acme_task.id), "body": BODY, "visibility": "PUBLIC"}
        await call("PostMessage", {"input": message}, token=world.staff.token)
        await _delivered(smtp_server, BODY)
    output = served.text()

    entries = [json.loads(line) for line in output.splitlines() if line.strip()]  # fails on a line that is not JSON
    assert all(isinstance(entry, dict) and {"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    for secret in (PASSWORD, reset_token, session, world.staff.token, BODY, "ZEBRA-0931"):
        assert secret not in output
    requests = {entry.get("operation"): entry for entry in entries if entry["logger"] == "clientela.requests"}
    assert {"RequestPasswordReset", "ResetPassword", "LogIn", "Viewer", "PostMessage"} <= requests.keys()
    for operation, viewer in (("LogIn", "ANONYMOUS"), ("Viewer", "CLIENT"), ("PostMessage", "STAFF")):
        line = requests[operation]
        assert line["viewer"] == viewer and line["status"] == 200 and line["outcome"] == "OK"
        assert line["duration_ms"] > 0 and line["statements"] >= 1 and len(line["sql"]) >= 1
        assert re.fullmatch(r"[0-9a-f]{12}", line["request_id"])
    assert len({entry["request_id"] for entry in requests.values()}) == len(requests)
    page = [e for e in entries if e.get("path") == "/set-password"]
    assert page and "token" not in json.dumps(page)
    if db.is_postgres():  # each statement, timed by asyncpg, in the context of its request
        statements = [e for e in entries if e["logger"] == "clientela.sql"]
        assert any(
            e.get("operation") == "PostMessage" and e.get("request_id") == requests["PostMessage"]["request_id"]
            for e in statements
        )


async def test_in_development_logs_are_lines_for_people(database, world):
    async with serving(database, "--no-worker", CLIENTELA_DEVELOPMENT="true") as served:
        async with httpx.AsyncClient(base_url=served.url) as http:
            body = {"query": CONTRACT["Viewer"], "operationName": "Viewer"}
            await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {world.client.token}"})
    line = next(line for line in served.text().splitlines() if "clientela.requests" in line)
    assert re.search(r" INFO clientela\.requests: POST /graphql Viewer: 200 OK in [\d.]+ ms, \d+ statements$", line), line
