"""Files in the emails of public messages, over real SMTP (tests/smtp_server.py) from a store of
the test's own: the files the recipient may read, the smallest first up to the attachment
budget, attached as the email leaves; the rest named with the item's link; nothing of them in
the outbox; nothing for a client whose portal hides attachments; a file removed in between
neither attached nor named; a store that fails, an attempt tried again; and the statements of a
batch, which do not grow with its emails."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from clientela.core.validation import SUPPORTED_LANGUAGES as LANGUAGES
from clientela.files.storage import LocalStorage
from clientela.mail.models import OutboxEmail, OutboxStatus
from clientela.mail.rendering import MESSAGE_FILES, environment
from clientela.mail.worker import deliver_due
from clientela.tasks.models import TaskRequester
from files_support import png
from support import QueryCounter, operations_in

OPERATIONS = operations_in("files.graphql")
MIB = 1024 * 1024
ITEM_LINK = "http://clientela.test/projects/{project}?task={task}&lang=en"
# The default portal fields but ATTACHMENTS (portal-config/default.yaml).
WITHOUT_ATTACHMENTS = ["DESCRIPTION", "STATUS", "PRIORITY", "DUE_DATE", "LABELS", "ASSIGNEE", "REQUESTERS", "MESSAGES"]


async def post(files, author, task, contents: dict[str, bytes], body: str = "The drafts.") -> list[str]:
    """`author` uploads `contents` (name: bytes) and posts them on `task` in a public message;
    the files' ids."""
    file_ids = [await files.uploaded(author.token, content, name) for name, content in contents.items()]
    variables = {"input": {"taskId": str(task.id), "body": body, "visibility": "PUBLIC", "fileIds": file_ids}}
    (await files.api(OPERATIONS["PostMessageWithFiles"], variables, token=author.token)).ok()
    return file_ids


async def deliver(smtp_server, files, **settings) -> dict[str, EmailMessage]:
    """The outbox delivered with `settings`, the files read from the service's store; the emails
    sent, by recipient."""
    smtp_server.clear()
    await deliver_due(smtp_server.settings(**settings), storage=files.storage)
    return {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages}


def attached(email: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in email.iter_attachments()}


def parts(email: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML, with the lines SMTP ended in CR LF ended in LF again."""
    text, html = (email.get_body((subtype,)).get_content().replace("\r\n", "\n") for subtype in ("plain", "html"))
    return text, html


def item_link(world) -> str:
    return ITEM_LINK.format(project=world.acme_project.id, task=world.acme_task.id)


async def test_an_email_attaches_the_smallest_files_up_to_10_mib_and_links_the_others(files, world, smtp_server):
    notes, recording = b"n" * (4 * MIB), b"r" * (7 * MIB)
    await post(files, world.staff, world.acme_task, {"recording.txt": recording, "diagram.png": png(), "notes.txt": notes})
    # The outbox holds neither the bytes nor the list: both are made as the email leaves.
    assert not await OutboxEmail.filter(text_body__contains="diagram.png").exists()

    email = (await deliver(smtp_server, files))[world.client.user.email]
    # Smallest first: 4 MiB and the PNG fit in 10 MiB; with the recording they would not.
    assert attached(email) == {"diagram.png": png(), "notes.txt": notes}
    assert [part.get_content_type() for part in email.iter_attachments()] == ["image/png", "text/plain"]
    text, html = parts(email)
    listed = f"Files:\n- diagram.png (attached)\n- notes.txt (attached)\n- recording.txt, in the portal: {item_link(world)}\n"
    assert f"The drafts.\n\n{listed}\nOpen the conversation:" in text
    assert f'<li>recording.txt, in the portal: <a href="{item_link(world).replace("&", "&amp;")}"' in html
    assert "<li>diagram.png (attached)</li>" in html
    assert MESSAGE_FILES not in text + html
    assert await OutboxEmail.filter(status=OutboxStatus.SENT).count() == 1


async def test_the_budget_is_a_setting_and_an_email_without_files_lists_none(files, world, smtp_server):
    await post(files, world.staff, world.acme_task, {"a.txt": b"a" * 600, "b.txt": b"b" * 500})
    email = (await deliver(smtp_server, files, email_attachments_max_bytes=1000))[world.client.user.email]
    assert attached(email) == {"b.txt": b"b" * 500}
    assert f"- a.txt, in the portal: {item_link(world)}" in parts(email)[0]

    await post(files, world.staff, world.acme_task, {}, body="No files this time.")
    email = (await deliver(smtp_server, files))[world.client.user.email]
    text, html = parts(email)
    assert attached(email) == {}
    assert "No files this time.\n\nOpen the conversation:" in text
    assert "Files:" not in text + html and MESSAGE_FILES not in text + html


async def test_a_client_whose_portal_hides_attachments_gets_neither_the_files_nor_their_names(
    files, world, smtp_server, staff_follows
):
    await post(files, world.admin, world.acme_task, {"diagram.png": png(), "big.txt": b"x" * 2000})
    # Hidden after the emails were queued: what they carry is decided as they leave.
    fields = {"input": {"visibleTaskFields": WITHOUT_ATTACHMENTS}}
    (await files.api("UpdatePortalSettings", fields, token=world.admin.token)).ok()
    emails = await deliver(smtp_server, files, email_attachments_max_bytes=1000)

    client_text, client_html = parts(emails[world.client.user.email])
    assert attached(emails[world.client.user.email]) == {}
    assert "diagram.png" not in client_text + client_html and "big.txt" not in client_text + client_html
    assert "Files:" not in client_text + client_html
    # The firm's side reads them whatever the portal shows clients.
    assert attached(emails[world.staff.user.email]) == {"diagram.png": png()}
    assert f"- big.txt, in the portal: {item_link(world)}" in parts(emails[world.staff.user.email])[0]


async def test_a_client_reached_through_a_portal_that_hides_messages_gets_no_files(files, world, smtp_server):
    """A requester is emailed the item's public messages whatever the portal shows, but reads
    their files only where it shows messages too, as in the portal (policy.files_visible)."""
    fields = {"input": {"visibleTaskFields": [*WITHOUT_ATTACHMENTS[:-1], "ATTACHMENTS"]}}
    (await files.api("UpdatePortalSettings", fields, token=world.admin.token)).ok()
    await post(files, world.staff, world.acme_task, {"diagram.png": png()})
    email = (await deliver(smtp_server, files))[world.client.user.email]
    assert attached(email) == {} and "diagram.png" not in "".join(parts(email))


async def test_a_file_removed_before_delivery_is_neither_attached_nor_named(files, world, smtp_server):
    kept, removed = await post(files, world.staff, world.acme_task, {"kept.png": png(), "removed.txt": b"a mistake"})
    (await files.api(OPERATIONS["RemoveFile"], {"id": removed}, token=world.staff.token)).ok()
    email = (await deliver(smtp_server, files))[world.client.user.email]
    assert attached(email) == {"kept.png": png()}
    assert "removed.txt" not in "".join(parts(email))
    assert await OutboxEmail.filter(status=OutboxStatus.SENT).count() == 1


async def test_a_file_whose_bytes_are_gone_from_the_store_is_linked_instead(files, world, smtp_server):
    await post(files, world.staff, world.acme_task, {"kept.png": png(), "gone.txt": b"lost bytes"})
    [gone] = [path for path in files.stored() if path.stat().st_size == len(b"lost bytes")]
    gone.unlink()
    email = (await deliver(smtp_server, files))[world.client.user.email]
    assert attached(email) == {"kept.png": png()}
    assert f"- gone.txt, in the portal: {item_link(world)}" in parts(email)[0]


class FailingStore(LocalStorage):
    async def stream(self, key: str):
        raise ConnectionError("the store is down")
        yield b""


async def test_a_store_that_fails_fails_the_attempt_which_is_tried_again(files, world, smtp_server, tmp_path):
    await post(files, world.staff, world.acme_task, {"diagram.png": png()})
    assert await deliver_due(smtp_server.settings(), storage=FailingStore(tmp_path)) == 0
    assert smtp_server.messages == []
    [row] = await OutboxEmail.all()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 1, "ConnectionError: the store is down")


async def _statements_of_delivery(smtp_server, files) -> int:
    smtp_server.clear()
    with QueryCounter() as counter:
        await deliver_due(smtp_server.settings(), storage=files.storage)
    return counter.count


@pytest.mark.parametrize("recipients", [1, 6])
async def test_a_batchs_files_cost_the_same_statements_whatever_its_emails(files, world, factory, smtp_server, recipients):
    """Each email of a batch costs its own statements (claim, delivery checks, SENT); its files
    add the same three statements to the batch, whether it holds one email or six."""
    for number in range(recipients - 1):
        colleague = await factory.person(world.admin, world.acme, f"Colleague {number}")
        await TaskRequester.of(world.acme_task.id, colleague.user).save()
    await post(files, world.staff, world.acme_task, {}, body="Without files.")
    without = await _statements_of_delivery(smtp_server, files)
    await post(files, world.staff, world.acme_task, {"a.png": png(), "b.txt": b"b" * 10, "c.txt": b"c" * 20})
    with_files = await _statements_of_delivery(smtp_server, files)
    assert len(smtp_server.messages) == recipients
    assert all(len(attached(email)) == 3 for email in smtp_server.messages)
    # Reading the files is one statement with or without files; their conversations and the
    # recipients (kind, portal settings) are two more.
    assert with_files - without == 2


NAMES = {
    "en": ("Files:", "a.png (attached)", "b.zip, in the portal:"),
    "es": ("Archivos:", "a.png (adjunto)", "b.zip, en el portal:"),
    "pt": ("Arquivos:", "a.png (anexado)", "b.zip, no portal:"),
    "ru": ("Файлы:", "a.png (во вложении)", "b.zip — на портале:"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_list_of_files_in_each_language(language):
    values = {"attached": ["a.png", "<i>x</i>.png"], "linked": ["b.zip"], "url": "http://clientela.test/projects/1?task=2&x=1"}
    text = environment(language).get_template("partials/message_files.txt").render(values)
    html = environment(language).get_template("partials/message_files.html").render(values)
    for words in NAMES[language]:
        assert words in text and words in html
    assert "<i>x</i>.png" in text and "&lt;i&gt;x&lt;/i&gt;.png" in html and "<i>" not in html
    assert 'href="http://clientela.test/projects/1?task=2&amp;x=1"' in html
