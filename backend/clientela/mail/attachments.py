"""The files of a public message in its emails, chosen as each email leaves the outbox, like its
reply address: the files its recipient may read (policy.reads_files_of_messages), the smallest
first up to CLIENTELA_EMAIL_ATTACHMENTS_MAX_BYTES in all attached, their bytes read from the
store then; the others named, with a link to the item in the portal. The outbox holds neither
bytes nor the list (the template holds MESSAGE_FILES in its place), so a file removed, or hidden
from the recipient, since the email was queued is neither attached nor named.

A batch of emails reads its files, their conversations and its recipients in three statements,
whatever its size; one email holds the bytes of its own attachments only."""

from __future__ import annotations

import logging
import uuid
from contextlib import aclosing
from dataclasses import dataclass, field

from clientela import policy
from clientela.conversations import repository as conversation_rows
from clientela.conversations.services import conversation_url
from clientela.files import repository as file_rows
from clientela.files.models import StoredFile
from clientela.files.storage import Storage
from clientela.mail.models import OutboxEmail
from clientela.mail.outbox import EmailKind
from clientela.mail.rendering import environment, in_language, supported_language
from clientela.people import repository as people
from clientela.portal.settings import settings_of
from clientela.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MessageFiles:
    """The files of an email's message that its recipient may read, the smallest first, and
    where the portal shows them."""

    files: list[StoredFile]
    url: str


@dataclass(frozen=True)
class Carried:
    """What one email carries of its message's files: the list in each part, and the
    attachments with their bytes."""

    text: str = ""
    html: str = ""
    attached: list[tuple[StoredFile, bytearray]] = field(default_factory=list)


async def files_of_batch(rows: list[OutboxEmail], settings: Settings) -> dict[uuid.UUID, MessageFiles]:
    """For each email of the batch (by its row's id) whose message has files its recipient may
    read: those files and the link to them."""
    replies = [row for row in rows if row.kind == EmailKind.CLIENT_REPLY and row.recipient_id and row.about_id]
    if not replies:
        return {}
    files: dict[uuid.UUID, list[StoredFile]] = {}
    for file in await file_rows.files_of_messages(list({row.about_id for row in replies})):
        files.setdefault(file.message_id, []).append(file)
    replies = [row for row in replies if row.about_id in files]
    if not replies:
        return {}
    conversations = await conversation_rows.conversations_of(list(files))
    recipients = {person.id: person for person in await people.people_with_workspaces(list({r.recipient_id for r in replies}))}
    found = {}
    for row in replies:
        person = recipients.get(row.recipient_id)
        if person is None or row.about_id not in conversations:
            continue
        kind = policy.kind_of(person, person.organization)
        if policy.reads_files_of_messages(kind, settings_of(person.workspace.portal_settings)):
            found[row.id] = MessageFiles(files[row.about_id], conversation_url(settings, *conversations[row.about_id]))
    return found


async def carried(files: MessageFiles | None, language: str, storage: Storage, most_bytes: int) -> Carried:
    """What one email carries of `files`, its list in `language`: the smallest files attached
    while their sizes add up to at most `most_bytes`, the others (and any whose bytes are gone
    from the store) named with the link."""
    if files is None:
        return Carried()
    attached: list[tuple[StoredFile, bytearray]] = []
    linked: list[StoredFile] = []
    room = most_bytes
    for file in files.files:
        data = await _bytes_of(file, storage) if file.size <= room else None
        if data is None:
            linked.append(file)
        else:
            attached.append((file, data))
            room -= file.size
    language = supported_language(language)
    env = environment(language)
    values = {"attached": [f.name for f, _ in attached], "linked": [f.name for f in linked], "url": in_language(files.url, language)}
    text = env.get_template("partials/message_files.txt").render(values).strip() + "\n\n"
    return Carried(text, env.get_template("partials/message_files.html").render(values), attached)


async def _bytes_of(file: StoredFile, storage: Storage) -> bytearray | None:
    """The file's bytes, or None when the store no longer has them as they were stored; never
    more than the file's size is held."""
    data = bytearray(file.size)
    received = 0
    try:
        async with aclosing(storage.stream(file.storage_key)) as chunks:
            async for chunk in chunks:
                received += len(chunk)
                if received > file.size:
                    break
                data[received - len(chunk) : received] = chunk
    except FileNotFoundError:
        received = -1
    if received == file.size:
        return data
    log.warning("The bytes of file %s (key %s) are not in the store as stored: its email links to it", file.id, file.storage_key)
    return None
