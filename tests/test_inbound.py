"""Replies by email, over real SMTP: the emails of public messages carry a reply address of their
own recipient and conversation; a reply to it, sent with aiosmtplib to the inbound server,
becomes a public message of that person, without the quoted history, once; every refusal is a
5xx that writes nothing and reads the same; machines' emails are accepted and dropped."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import UTC, datetime, timedelta

import aiosmtplib
import pytest

from clientela.conversations.models import Message
from clientela.inbound import services as inbound_services
from clientela.inbound.models import ReceivedEmail, ReplyToken
from clientela.inbound.parsing import reply_text
from clientela.mail.models import OutboxEmail
from clientela.mail.worker import deliver_due
from clientela.people.models import User
from clientela.projects.models import ProjectFollower
from clientela.sharing.models import Share
from clientela.tasks.models import Task, TaskRequester
from inbound_support import DOMAIN, MAIL_FROM, REFUSED, emailed_to, other_token, posted, public_message, reply
from support import QueryCounter
from test_contract_matrix import fingerprint


async def test_emails_of_public_messages_carry_a_reply_address_of_their_recipient_and_conversation(
    api, world, inbound, staff_follows
):
    email = await emailed_to(inbound, api, world, world.client)
    address = email["Reply-To"].addresses[0].addr_spec
    token = re.fullmatch(rf"reply\+([a-z2-7]+)@{re.escape(DOMAIN)}", address).group(1)
    # Opaque: no id of the person, the item, the project or the message is in it.
    ids = [world.client.user.id, world.acme_task.id, world.acme_project.id, *await Message.all().values_list("id", flat=True)]
    assert all(value.hex not in token and str(value) not in token for value in ids)
    assert len(token) <= 64 - len("reply+")  # an address's local part is at most 64 characters
    assert "Reply-To" not in email.get("From", "")

    # The same person and item: the same address; another item or person: another.
    again = await emailed_to(inbound, api, world, world.client, body="A second note.")
    assert again["Reply-To"].addresses[0].addr_spec == address
    await public_message(api, world.staff, "About the whole project.", project_id=world.acme_project.id)
    on_project = await inbound.deliver()
    assert on_project[world.client.user.email]["Reply-To"].addresses[0].addr_spec != address
    await public_message(api, world.client, "From Clara.", task_id=world.acme_task.id)
    to_staff = await inbound.deliver()
    assert to_staff[world.staff.user.email]["Reply-To"].addresses[0].addr_spec not in (address, None)
    # The outbox holds no reply address: it is made when the email leaves.
    assert await OutboxEmail.filter(text_body__contains="reply+").count() == 0


async def test_without_an_inbound_domain_emails_carry_no_reply_address(api, world, smtp_server):
    await public_message(api, world.staff, "No domain, no address.", task_id=world.acme_task.id)
    smtp_server.clear()
    await deliver_due(smtp_server.settings())
    [email] = smtp_server.messages
    assert email["Reply-To"] is None
    assert await ReplyToken.all().count() == 0


QUOTE_STYLES = {
    "en": ("Thanks, the layout looks right.", "On Mon, 1 Dec 2026 at 10:00, Sam Staff <sam@firm.example> wrote:"),
    "es": ("Gracias, el diseño está bien.", "El lun, 1 dic 2026 a las 10:00, Sam Staff (<sam@firm.example>) escribió:"),
    "pt": ("Obrigado, o layout está certo.", "Em seg., 1 de dez. de 2026 às 10:00, Sam Staff <sam@firm.example> escreveu:"),
    "ru": ("Спасибо, макет в порядке.", "01.12.2026 10:00, Sam Staff пишет:"),
}
SIGNATURES = {"en": "Best regards,", "es": "Saludos,", "pt": "Atenciosamente,", "ru": "С уважением,"}


@pytest.mark.parametrize("language", sorted(QUOTE_STYLES))
async def test_a_reply_becomes_a_public_message_of_its_sender_emailed_onwards_but_not_back(
    api, world, inbound, staff_follows, language
):
    email = await emailed_to(inbound, api, world, world.client)
    said, header = QUOTE_STYLES[language]
    text = f"{said}\n- one list item stays\n\n{SIGNATURES[language]}\nClara\n\n{header}\n> Your new home page is up for review.\n"
    code, _ = await inbound.send(reply(email["Reply-To"], world.client.user.email, text, answers=email))
    assert code == 250
    assert await posted(world.client) == [f"{said}\n- one list item stays"]
    [message] = await Message.filter(author_id=world.client.user.id)
    assert message.task_id == world.acme_task.id
    # Onwards by the usual rules, as a reply through the API would go; not back to Clara.
    onwards = await OutboxEmail.filter(kind="CLIENT_REPLY", about_id=message.id).values_list("to_address", flat=True)
    assert onwards == [world.staff.user.email]
    sent = await inbound.deliver()
    assert said in sent[world.staff.user.email].get_body(("plain",)).get_content()


QUOTE_HEADERS = [
    "On Mon, 1 Dec 2026 at 10:00, Sam Staff <\nsam@firm.example> wrote:",
    "-----Original Message-----\nFrom: Sam Staff\nSent: Monday\nTo: Clara\nSubject: Home page",
    "El 1 dic 2026, a las 10:00, Sam Staff <sam@firm.example> escribió:",
    "De: Sam Staff\nEnviado: segunda-feira\nPara: Clara\nAssunto: Página",
    "пн, 1 дек. 2026 г. в 10:00, Sam Staff <sam@firm.example>:",
    "Понедельник, 1 декабря 2026, 10:00 +03:00 от Sam Staff <sam@firm.example>:",
    "От: Sam Staff\nОтправлено: понедельник\nКому: Clara\nТема: Страница",
]


@pytest.mark.parametrize("header", QUOTE_HEADERS)
def test_quote_headers_of_the_common_mail_programs_cut_the_history(header):
    text = f"New words.\n\n{header}\n\nOld words.\n"
    assert reply_text(text) == "New words."


async def test_a_reply_with_nothing_above_the_quote_is_refused_and_says_why(api, world, inbound):
    email = await emailed_to(inbound, api, world, world.client)
    before = await fingerprint()
    empty = reply(email["Reply-To"], world.client.user.email, "On Mon, Sam wrote:\n> Your new home page", answers=email)
    assert await inbound.send(empty) == (550, "5.6.0 body must not be empty.")
    assert await fingerprint() == before


async def test_a_reply_to_a_projects_own_conversation_is_posted_there(api, world, inbound):
    await public_message(api, world.staff, "Kick-off on Monday.", project_id=world.acme_project.id)
    email = (await inbound.deliver())[world.client.user.email]
    code, _ = await inbound.send(reply(email["Reply-To"], world.client.user.email, "We will be there.", answers=email))
    assert code == 250
    [message] = await Message.filter(author_id=world.client.user.id)
    assert (message.project_id, message.task_id, message.body) == (world.acme_project.id, None, "We will be there.")


async def test_an_html_only_reply_is_posted_as_its_text(api, world, inbound):
    email = await emailed_to(inbound, api, world, world.client)
    html = (
        "<html><head><style>p { color: red }</style><script>steal()</script></head><body>"
        "<div>Looks <b>great</b> &amp; ready.<br>Ship it.</div><script>alert(1)</script>"
        '<img src="x" onerror="alert(2)">'
        '<div class="gmail_quote"><div>On Mon, 1 Dec 2026 at 10:00, Sam &lt;sam@firm.example&gt; wrote:<br></div>'
        "<blockquote>Your new home page is up for review.</blockquote></div></body></html>"
    )
    code, _ = await inbound.send(reply(email["Reply-To"], world.client.user.email, "", html=html, answers=email))
    assert code == 250
    assert await posted(world.client) == ["Looks great & ready.\nShip it."]


async def test_a_duplicate_delivery_is_posted_once(api, world, inbound):
    email = await emailed_to(inbound, api, world, world.client)
    answer = reply(email["Reply-To"], world.client.user.email, "Only once, please.", answers=email)
    assert (await inbound.send(answer))[0] == 250
    before = await fingerprint()
    assert (await inbound.send(answer))[0] == 250
    assert await fingerprint() == before
    assert await posted(world.client) == ["Only once, please."]
    assert await ReceivedEmail.all().count() == 1


async def test_replies_arriving_at_once_are_all_posted(api, world, factory, inbound, staff_follows):
    """Each reply carries the earlier message to Sam: both record having done so, neither fails."""
    colleague = await factory.person(world.admin, world.acme, "Cole Colleague")
    await TaskRequester.of(world.acme_task.id, colleague.user).save()
    await public_message(api, world.staff, "Two of you may answer.", task_id=world.acme_task.id)
    emails = await inbound.deliver()
    answers = [
        reply(
            emails[person.user.email]["Reply-To"],
            person.user.email,
            f"{person.user.name} agrees.",
            answers=emails[person.user.email],
        )
        for person in (world.client, colleague)
    ]
    results = await asyncio.gather(*(inbound.send(answer) for answer in answers))
    assert [code for code, _ in results] == [250, 250]
    assert await posted(world.client) + await posted(colleague) == ["Clara Client agrees.", "Cole Colleague agrees."]


async def expire(world) -> None:
    await ReplyToken.filter(user_id=world.client.user.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))


async def revoke(world) -> None:
    assert await inbound_services.revoke_reply_addresses(world.client.user.email.upper()) >= 1


async def stop_following(world) -> None:
    """Clara is neither a requester of the item nor in an organization that follows its project."""
    await TaskRequester.filter(task_id=world.acme_task.id).delete()
    await ProjectFollower.filter(project_id=world.acme_project.id).delete()


async def replies_off(world, api) -> None:
    (await api("UpdatePortalSettings", {"input": {"canPostMessages": False}}, token=world.admin.token)).ok()


REFUSALS = {
    "forged token": lambda address: other_token(address),
    # The last character's low bits carry nothing in base32: one token, one spelling.
    "another spelling": lambda address: other_token(address, -1),
    "unknown token": lambda address: f"reply+{inbound_services.token_of(secrets.token_hex(16))}@{DOMAIN}",
    "not a token": lambda address: f"reply+nothing-here@{DOMAIN}",
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_a_reply_to_an_address_we_never_made_is_refused(api, world, inbound, case):
    email = await emailed_to(inbound, api, world, world.client)
    to = REFUSALS[case](email["Reply-To"].addresses[0].addr_spec)
    before = await fingerprint()
    assert await inbound.send(reply(to, world.client.user.email, "Hello", answers=email)) == (550, f"5.7.1 {REFUSED}")
    assert await fingerprint() == before


@pytest.mark.parametrize("change", ["expired", "revoked", "another sender", "no longer a recipient", "portal replies off"])
async def test_a_reply_that_may_not_be_posted_is_refused_alike_and_writes_nothing(api, world, inbound, change):
    email = await emailed_to(inbound, api, world, world.client)
    sender = world.client.user.email
    if change == "expired":
        await expire(world)
    elif change == "revoked":
        await revoke(world)
    elif change == "another sender":
        sender = "clara.private@elsewhere.example"
    elif change == "no longer a recipient":
        await stop_following(world)
    else:
        await replies_off(world, api)
    before = await fingerprint()
    assert await inbound.send(reply(email["Reply-To"], sender, "Hello", answers=email)) == (550, f"5.7.1 {REFUSED}")
    assert await fingerprint() == before


async def test_after_a_revocation_the_next_email_carries_a_new_address_that_works(api, world, inbound):
    first = await emailed_to(inbound, api, world, world.client)
    await revoke(world)
    second = await emailed_to(inbound, api, world, world.client, body="A new note.")
    assert second["Reply-To"].addresses[0].addr_spec != first["Reply-To"].addresses[0].addr_spec
    assert (await inbound.send(reply(first["Reply-To"], world.client.user.email, "Old address", answers=first)))[0] == 550
    assert (await inbound.send(reply(second["Reply-To"], world.client.user.email, "New address", answers=second)))[0] == 250
    assert await posted(world.client) == ["New address"]


async def test_the_sender_is_compared_without_case(api, world, inbound):
    email = await emailed_to(inbound, api, world, world.client)
    sender = f"Clara <{world.client.user.email.upper()}>"
    assert (await inbound.send(reply(email["Reply-To"], sender, "Case does not matter.", answers=email)))[0] == 250
    assert await posted(world.client) == ["Case does not matter."]


async def test_a_client_reading_an_item_whose_messages_the_portal_hides_is_no_recipient_and_may_not_reply(
    api, world, factory, inbound
):
    """Cole sees Acme's items through his organization following the project; with MESSAGES
    hidden he is no longer in the conversation's audience, so his reply address stops working,
    although the API would still take a reply from him."""
    colleague = await factory.person(world.admin, world.acme, "Cole Colleague")
    email = await emailed_to(inbound, api, world, colleague)
    fields = ["DESCRIPTION", "STATUS"]
    (await api("UpdatePortalSettings", {"input": {"visibleTaskFields": fields}}, token=world.admin.token)).ok()
    before = await fingerprint()
    assert (await inbound.send(reply(email["Reply-To"], colleague.user.email, "Hello", answers=email)))[0] == 550
    assert await fingerprint() == before


async def test_a_consultant_whose_share_was_revoked_in_between_is_refused(api, world, inbound):
    """Cora holds a CSR share of Acme and follows its project: her first reply is posted; once
    the share is revoked, her next reply to the same address is refused."""
    await ProjectFollower.create(project=world.acme_project, user=world.csr.user)
    email = await emailed_to(inbound, api, world, world.csr)
    first = reply(email["Reply-To"], world.csr.user.email, "On it.", answers=email)
    assert (await inbound.send(first))[0] == 250
    await Share.filter(user_id=world.csr.user.id).update(status="REVOKED")
    before = await fingerprint()
    second = reply(email["Reply-To"], world.csr.user.email, "Still on it.", answers=email)
    assert await inbound.send(second) == (550, f"5.7.1 {REFUSED}")
    assert await fingerprint() == before
    assert await posted(world.csr) == ["On it."]


async def test_portal_replies_turned_off_then_on_again(api, world, inbound):
    email = await emailed_to(inbound, api, world, world.client)
    await replies_off(world, api)
    assert (await inbound.send(reply(email["Reply-To"], world.client.user.email, "First try", answers=email)))[0] == 550
    (await api("UpdatePortalSettings", {"input": {"canPostMessages": True}}, token=world.admin.token)).ok()
    assert (await inbound.send(reply(email["Reply-To"], world.client.user.email, "Second try", answers=email)))[0] == 250
    assert await posted(world.client) == ["Second try"]


async def test_an_email_over_the_size_limit_is_refused(api, world, inbound):
    email = await emailed_to(inbound, api, world, world.client)
    before = await fingerprint()
    big = reply(email["Reply-To"], world.client.user.email, "x" * (80 * 1024), answers=email)
    code, _ = await inbound.send(big)
    assert code == 552
    assert await fingerprint() == before


MACHINE_HEADERS = {
    "auto-submitted": {"Auto_Submitted": "auto-replied"},
    "precedence bulk": {"Precedence": "bulk"},
    "precedence auto_reply": {"Precedence": "auto_reply"},
    "x-autoreply": {"X_Autoreply": "yes"},
    "x-autorespond": {"X_Autorespond": "Out of office"},
}


@pytest.mark.parametrize("case", sorted(MACHINE_HEADERS))
async def test_auto_replies_and_bulk_mail_are_accepted_and_dropped(api, world, inbound, case):
    email = await emailed_to(inbound, api, world, world.client)
    before = await fingerprint()
    out_of_office = reply(email["Reply-To"], world.client.user.email, "I am away.", answers=email, **MACHINE_HEADERS[case])
    assert (await inbound.send(out_of_office))[0] == 250
    assert await fingerprint() == before


async def test_our_own_email_come_back_is_accepted_and_dropped(api, world, inbound):
    """A loop: an email from our own address answering one of ours (a forwarding rule that
    sends our email back to the reply address, say)."""
    email = await emailed_to(inbound, api, world, world.client)
    before = await fingerprint()
    looped = reply(email["Reply-To"], MAIL_FROM, "Your new home page is up for review.", answers=email)
    assert (await inbound.send(looped))[0] == 250
    assert await fingerprint() == before


async def test_auto_submitted_no_is_a_person_writing(api, world, inbound):
    email = await emailed_to(inbound, api, world, world.client)
    written = reply(email["Reply-To"], world.client.user.email, "Typed by hand.", answers=email, Auto_Submitted="no")
    assert (await inbound.send(written))[0] == 250
    assert await posted(world.client) == ["Typed by hand."]


async def test_one_reply_address_per_message_and_none_of_elsewhere(api, world, inbound):
    email = await emailed_to(inbound, api, world, world.client)
    address = email["Reply-To"].addresses[0].addr_spec
    answer = reply(address, world.client.user.email, "Two at once", answers=email)
    assert await inbound.send(answer, recipients=["someone@elsewhere.example"]) == (550, "5.1.1 No such address here")
    assert await inbound.send(answer, recipients=[f"support@{DOMAIN}"]) == (550, "5.1.1 No such address here")
    # The second recipient is refused for this transaction; the first is received.
    errors, _ = await aiosmtplib.send(answer, hostname="127.0.0.1", port=inbound.port, recipients=[address, address])
    assert errors[address].code == 452
    assert await posted(world.client) == ["Two at once"]


async def test_a_reply_to_many_costs_no_statement_per_recipient_but_its_own_delivery(api, world, inbound):
    """The audience of a conversation and its reply addresses are read once for a batch of
    emails, not for each: per email, only its claim and its being marked sent."""
    await ProjectFollower.filter(project=world.acme_project).delete()  # each reply goes to its item's readers only

    async def deliver_a_reply_to(readers: int) -> tuple[int, int]:
        task = await Task.create(workspace_id=world.admin.user.workspace_id, project=world.acme_project, title=f"For {readers}")
        for n in range(readers):
            user = await User.create(
                workspace_id=world.admin.user.workspace_id,
                organization=world.acme,
                name=f"Reader {n}",
                email=f"r{n}-{readers}@acme.example",
            )
            await TaskRequester.of(task.id, user).save()
        await public_message(api, world.staff, "An update.", task_id=task.id)
        with QueryCounter() as counter:
            sent = await inbound.deliver()
        assert all(email["Reply-To"] for email in sent.values())
        return len(sent), counter.count

    few, few_statements = await deliver_a_reply_to(4)
    many, many_statements = await deliver_a_reply_to(16)

    assert (few, many) == (4, 16)
    assert many_statements - few_statements <= 2 * (many - few)
