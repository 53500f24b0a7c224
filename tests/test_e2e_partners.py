"""End to end, over HTTP and SMTP: a partner firm of two consultants gets a CSR share of a client;
both create their passwords from the emails and manage a project; one leaves the firm and loses
access at once; the share nears its end (reminders, once) and expires, and the other loses
access. Time moves by the test's clock, never by sleeping."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx

from clientela import policy
from clientela.mail.worker import run_worker
from clientela.sharing import services as sharing_services
from support import CONTRACT

PASSWORD = "a long firm secret"


class Clock:
    """`datetime` as the policy and the reminder pass read it, `offset` ahead of real time."""

    def __init__(self) -> None:
        self.offset = timedelta()
        clock = self

        class Moved(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.now(tz) + clock.offset

        self.datetime = Moved


async def test_a_partner_firm_manages_a_client_until_members_leave_and_the_share_expires(
    live_server, world, smtp_server, monkeypatch
):
    clock = Clock()
    monkeypatch.setattr(policy, "datetime", clock.datetime)
    monkeypatch.setattr(sharing_services, "datetime", clock.datetime)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(smtp_server.settings(share_reminder_every_seconds=0.05), stop, poll_seconds=0.01))

    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:

        async def call(operation, variables=None, token=None):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {"query": CONTRACT.get(operation, operation), "variables": variables or {}}
            response = (await http.post("/graphql", json=body, headers=headers)).json()
            return response.get("data"), [e["extensions"]["code"] for e in response.get("errors") or []]

        async def ok(operation, variables=None, token=None):
            data, codes = await call(operation, variables, token)
            assert codes == [], (operation, codes)
            return data

        async def emails_to(address, count=1):
            for _ in range(500):  # waiting for the worker to deliver, not moving time
                found = [m for m in smtp_server.messages if m["To"].addresses[0].addr_spec == address]
                if len(found) >= count:
                    return found
                await asyncio.sleep(0.01)
            raise AssertionError(f"no email to {address}")

        def text(message) -> str:
            return message.get_body(preferencelist=("plain",)).get_content()

        try:
            # An admin makes the firm and adds two new addresses; each is emailed.
            admin, owner = world.admin.token, world.owner.token
            firm = (await ok("mutation { createOrganization(input: {name: \"Baker & Co\", kind: PARTNER}) { id } }", token=admin))
            firm_id = firm["createOrganization"]["id"]
            invitees = [{"email": "ann@baker.example", "name": "Ann Baker"}, {"email": "ben@baker.example", "name": "Ben Baker"}]
            await ok("AddPartnerMembers", {"partnerId": firm_id, "invitees": invitees}, token=admin)

            # The client's owner shares Acme with the firm as CSR, for five days.
            ends = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
            variables = {"organizationId": str(world.acme.id), "invitees": [{"partnerId": firm_id}], "role": "CSR", "expiresAt": ends.isoformat()}
            share = (await ok("ShareOrganizationUntil", variables, token=owner))["shareOrganization"][0]
            assert share["partner"]["name"] == "Baker & Co" and share["status"] == "ACCEPTED"

            # Each member: the welcome and the share email, then a password, then signing in.
            tokens = {}
            for address in ("ann@baker.example", "ben@baker.example"):
                first_two = await emails_to(address, 2)
                welcome = next(m for m in first_two if "added you" in m["Subject"])
                shared = next(m for m in first_two if "shared Acme" in m["Subject"])
                assert "Baker & Co" in welcome["Subject"] and "set-password" in text(welcome)
                assert "with your firm Baker & Co" in text(shared)
                await ok("RequestPasswordReset", {"email": address})
                link = (await emails_to(address, 3))[-1]
                token = re.search(r"token=([\w-]+)", text(link)).group(1)
                await ok("ResetPassword", {"token": token, "password": PASSWORD})
                tokens[address] = (await ok("LogIn", {"email": address, "password": PASSWORD}))["logIn"]["token"]
            ann, ben = tokens["ann@baker.example"], tokens["ben@baker.example"]

            # Both manage the project.
            project = {"id": str(world.acme_project.id)}
            for name, token in (("Ann", ann), ("Ben", ben)):
                updated = await ok("UpdateProject", {**project, "input": {"name": f"Site, by {name}"}}, token=token)
                assert updated["updateProject"]["name"] == f"Site, by {name}"
                clients = (await ok("MyClientsWithSource", token=token))["myClients"]
                assert [(c["name"], c["access"], c["heldThrough"][0]["partner"]["name"]) for c in clients] == [("Acme", "CSR", "Baker & Co")]

            # Ann leaves the firm: her very next request reaches nothing.
            ann_id = (await ok("Viewer", token=ann))["viewer"]["id"]
            await ok("RemovePartnerMembers", {"partnerId": firm_id, "userIds": [ann_id]}, token=admin)
            assert (await call("ProjectPage", project, token=ann))[1] == ["NOT_FOUND"]
            assert (await ok("MyClientsWithSource", token=ann))["myClients"] == []
            assert (await ok("ProjectPage", project, token=ben))["project"]["id"] == project["id"]

            # Three days before the end, the worker reminds Ben and the owner, once.
            smtp_server.clear()
            clock.offset = timedelta(days=2, hours=1)
            reminded = await emails_to("ben@baker.example") + await emails_to(world.owner.user.email)
            assert all("expires soon" in m["Subject"] for m in reminded)
            await asyncio.sleep(0.3)  # several more passes of the worker's schedule
            assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == sorted(
                ["ben@baker.example", world.owner.user.email]
            )

            # Past the end, Ben loses access on his next request; the owner sees it EXPIRED.
            clock.offset = timedelta(days=5, minutes=1)
            assert (await call("ProjectPage", project, token=ben))[1] == ["NOT_FOUND"]
            assert (await call("UpdateProject", {**project, "input": {"name": "Late"}}, token=ben))[1] == ["NOT_FOUND"]
            shares = (await ok("OrganizationShares", {"id": str(world.acme.id)}, token=owner))["organization"]["shares"]
            firm_share = next(s for s in shares if s["partner"])
            assert firm_share["status"] == "EXPIRED" and [m["name"] for m in firm_share["partner"]["members"]] == ["Ben Baker"]
        finally:
            stop.set()
            await worker
