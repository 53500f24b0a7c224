"""The attachments of replies by email, over real SMTP to the inbound server (tests/inbound_support.py):
kept as files of the message the reply posts, under the checks of an upload (the allow-list by
the bytes, the size limit, the workspace's quota, ten files a message); what the checks refuse
is left out and the message says which and why, in its author's language; a client whose portal
hides attachments has them dropped; and a reply that is not posted (refused, or a duplicate
arriving at the same moment) leaves nothing stored."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import pytest

from clientela.conversations.models import Message
from clientela.files.models import StoredFile
from clientela.inbound import attachments as inbound_attachments
from clientela.people.models import User
from files_support import HTML, png
from inbound_support import emailed_to, reply
from test_files_in_emails import WITHOUT_ATTACHMENTS, attached


def with_attachments(answer: EmailMessage, *files: tuple[str, str, bytes]) -> EmailMessage:
    for name, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        answer.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return answer


async def answered(inbound, api, world, text: str, *files: tuple[str, str, bytes]) -> tuple[int, str]:
    """Clara answers the email of a public message with `text` and `files` (name, type, bytes)."""
    email = await emailed_to(inbound, api, world, world.client)
    answer = reply(email["Reply-To"], world.client.user.email, text, answers=email)
    return await inbound.send(with_attachments(answer, *files))


async def clara_posted(world) -> Message:
    [message] = await Message.filter(author_id=world.client.user.id)
    return message


def stored(inbound) -> list:
    return sorted(p for p in inbound.storage.directory.rglob("*") if p.is_file())


async def bytes_of(inbound, file: StoredFile) -> bytes:
    return b"".join([chunk async for chunk in inbound.storage.stream(file.storage_key)])


SCREENSHOT = ("screenshot.png", "image/png", png())
PAGE = ("page.html", "text/html", HTML)


async def test_a_reply_keeps_its_png_as_a_file_of_its_message_and_says_the_html_was_not_kept(api, world, inbound, staff_follows):
    assert (await answered(inbound, api, world, "Here is the screenshot.", SCREENSHOT, PAGE))[0] == 250
    message = await clara_posted(world)
    assert message.body == "Here is the screenshot.\n\nAttachments not kept: page.html (a type of file not accepted)."
    [file] = await StoredFile.all()
    assert (file.message_id, file.name, file.content_type, file.size) == (message.id, "screenshot.png", "image/png", len(png()))
    assert file.uploaded_by_id == world.client.user.id
    assert await bytes_of(inbound, file) == png() and len(stored(inbound)) == 1
    # Onwards as any reply: Sam's email carries it.
    sent = await inbound.deliver()
    assert attached(sent[world.staff.user.email]) == {"screenshot.png": png()}


async def test_the_note_is_in_its_authors_language(api, world, inbound):
    await User.filter(id=world.client.user.id).update(language="es")
    assert (await answered(inbound, api, world, "Adjunto la captura.", SCREENSHOT, PAGE))[0] == 250
    message = await clara_posted(world)
    assert message.body == "Adjunto la captura.\n\nAdjuntos no guardados: page.html (tipo de archivo no admitido)."


@pytest.mark.parametrize(
    ("settings", "attachment", "reason"),
    [
        ({"workspace_storage_quota_bytes": 50}, SCREENSHOT, "screenshot.png (no storage left)"),
        ({"upload_max_bytes": 50}, ("notes.txt", "text/plain", b"n" * 51), "notes.txt (larger than 50 bytes)"),
        ({}, ("empty.txt", "text/plain", b""), "empty.txt (empty)"),
    ],
)
async def test_an_attachment_over_a_limit_is_not_kept_and_the_reply_is_posted(
    api, world, serve_inbound, settings, attachment, reason
):
    inbound = await serve_inbound(**settings)
    assert (await answered(inbound, api, world, "See attached.", attachment))[0] == 250
    assert (await clara_posted(world)).body == f"See attached.\n\nAttachments not kept: {reason}."
    assert await StoredFile.all().count() == 0 and stored(inbound) == []


async def test_a_message_keeps_ten_attachments_and_names_the_rest(api, world, inbound):
    pictures = [(f"{number:02}.png", "image/png", png()) for number in range(1, 13)]
    assert (await answered(inbound, api, world, "All of them.", *pictures))[0] == 250
    message = await clara_posted(world)
    names = await StoredFile.filter(message_id=message.id).order_by("name").values_list("name", flat=True)
    assert names == [f"{number:02}.png" for number in range(1, 11)]
    assert message.body.endswith("Attachments not kept: 11.png (more than 10 files), 12.png (more than 10 files).")


async def test_a_client_whose_portal_hides_attachments_has_them_dropped_unsaid(api, world, inbound):
    fields = {"input": {"visibleTaskFields": WITHOUT_ATTACHMENTS}}
    (await api("UpdatePortalSettings", fields, token=world.admin.token)).ok()
    assert (await answered(inbound, api, world, "Here is the screenshot.", SCREENSHOT, PAGE))[0] == 250
    assert (await clara_posted(world)).body == "Here is the screenshot."
    assert await StoredFile.all().count() == 0 and stored(inbound) == []


async def test_a_reply_that_is_refused_after_its_attachments_were_stored_leaves_nothing(api, world, inbound):
    code, text = await answered(inbound, api, world, "On Mon, Sam wrote:\n> Your new home page", SCREENSHOT)
    assert (code, text) == (550, "5.6.0 body must not be empty.")
    assert await Message.filter(author_id=world.client.user.id).count() == 0
    assert await StoredFile.all().count() == 0 and stored(inbound) == []


async def test_a_reply_delivered_twice_at_once_keeps_one_copy_of_its_files(api, world, inbound, monkeypatch):
    email = await emailed_to(inbound, api, world, world.client)
    answer = with_attachments(reply(email["Reply-To"], world.client.user.email, "Once.", answers=email), SCREENSHOT)
    # Both deliveries have stored the attachment before either posts: one of them loses.
    both_kept = asyncio.Barrier(2)
    keep = inbound_attachments.keep

    async def keep_then_wait(*args):
        kept = await keep(*args)
        await both_kept.wait()
        return kept

    monkeypatch.setattr(inbound_attachments, "keep", keep_then_wait)
    results = await asyncio.gather(inbound.send(answer), inbound.send(answer))
    assert [code for code, _ in results] == [250, 250]
    message = await clara_posted(world)
    [file] = await StoredFile.all()
    assert file.message_id == message.id
    # Whichever delivery lost the race removed what it had stored.
    assert stored(inbound) == [inbound.storage.directory / file.storage_key[:2] / file.storage_key]
