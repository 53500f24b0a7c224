"""Files on tasks and messages: storing an upload with its checks, attaching, removing, reading,
and the worker's sweep of abandoned uploads and of bytes still to delete."""

from __future__ import annotations

import asyncio
import codecs
import logging
import os
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import BinaryIO

import filetype

from clientela import policy
from clientela.conversations.models import Message
from clientela.core import clock, validation
from clientela.core.errors import BadUserInput, NotFound, OverQuota, TooLarge, UnsupportedType
from clientela.core.pagination import LIST_LIMIT
from clientela.files import repository
from clientela.files.models import StoredFile
from clientela.files.storage import CHUNK_BYTES, Storage
from clientela.policy import Action, Viewer
from clientela.projects import services as projects
from clientela.settings import Settings
from clientela.tasks.models import Task

log = logging.getLogger(__name__)

# What may be uploaded, by the type its bytes show (`filetype`, or plain text): nothing a
# browser would run or render as a page (HTML, SVG, XML), whatever the file's name says.
ALLOWED_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/zip",
        "text/plain",
    }
)
PLAIN_TEXT = "text/plain"
# Files on one task: as many as a list shows; on one message, as an email carries a few (and a
# task's messages with their files stay within a query's node budget, graphql/limits.py).
FILES_PER_TASK = LIST_LIMIT
FILES_PER_MESSAGE = 10
# A pending upload no mutation attached within this long is deleted by the worker's sweep.
PENDING_FOR = timedelta(days=1)
SWEEP_BATCH = 100


def _is_plain_text(source: BinaryIO) -> bool:
    """Valid UTF-8 throughout, without NUL, and not markup: a text whose first character (past
    a byte-order mark and blanks) is "<" may be HTML, SVG or XML to whoever opens it."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    start = ""
    try:
        while chunk := source.read(CHUNK_BYTES):
            text = decoder.decode(chunk)
            if "\0" in text:
                return False
            start = start or text.lstrip()
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return not start.startswith("<")


def detect_type(source: BinaryIO) -> str | None:
    """The content type the bytes of `source` (read from its start) show, if it is allowed. Text
    is text whatever a signature says: a CSV that begins with "BM" is no bitmap."""
    source.seek(0)
    kind = filetype.guess(source.read(8192))
    source.seek(0)
    mime = kind.mime if kind else None
    if mime == "image/apng":  # an animated PNG is a PNG: it shows as one wherever a PNG does
        mime = "image/png"
    if mime in ALLOWED_TYPES:
        return mime
    return PLAIN_TEXT if _is_plain_text(source) else None


def _size_of(source: BinaryIO) -> int:
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    return size


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:g} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def over_upload_limit(settings: Settings) -> str:
    return f"The file is over the upload limit of {size_text(settings.upload_max_bytes)}."


async def store_file(viewer: Viewer, source: BinaryIO, name: str | None, storage: Storage, settings: Settings) -> StoredFile:
    """Keeps the bytes of `source` (a seekable file, read from its start) as the viewer's pending
    file named `name` (cleaned: it is only shown), after the checks every way in goes through:
    who may upload, the size limit, the type the bytes show against the allow-list and the
    workspace's quota. Refused input stores nothing."""
    policy.require_upload(viewer)
    size = await asyncio.to_thread(_size_of, source)
    if size == 0:
        raise BadUserInput("The file is empty.", field="file")
    if size > settings.upload_max_bytes:
        raise TooLarge(over_upload_limit(settings), field="file")
    content_type = await asyncio.to_thread(detect_type, source)
    if content_type is None:
        raise UnsupportedType(
            "This type of file is not accepted: images (PNG, JPEG, GIF, WebP), PDF, Office and OpenDocument "
            "documents, ZIP archives and plain text are.",
            field="file",
        )
    quota = settings.workspace_storage_quota_bytes

    def admit(usage: int) -> None:
        if usage + size > quota:
            raise OverQuota(
                f"The workspace's files would be over its storage quota of {size_text(quota)}.",
                field="file",
                limit="storageQuota",
            )

    file = await repository.create_pending(
        viewer,
        storage_key=secrets.token_urlsafe(32),
        name=validation.file_name(name),
        content_type=content_type,
        size=size,
        admit=admit,
    )
    try:
        await asyncio.to_thread(source.seek, 0)
        await storage.put(file.storage_key, source, size, content_type)
    except Exception:
        await discard([file], storage)
        raise
    return file


async def attachable(viewer: Viewer, file_ids: list | None) -> list[StoredFile]:
    """The files of `file_ids`, checked for the viewer to attach (their own pending uploads)."""
    if not file_ids:
        return []
    policy.require_attaching(viewer)
    files = await repository.visible_files(viewer, file_ids)
    policy.require_attachable(viewer, files)
    return files


async def attach(files: list[StoredFile], *, task: Task | None = None, message: Message | None = None) -> None:
    """Hangs `files` (from `attachable`) on the task or the message; inside the transaction that
    makes either, or on its own."""
    most = FILES_PER_TASK if task is not None else FILES_PER_MESSAGE
    await repository.attach(files, task=task, message=message, most=most)


async def get_file(viewer: Viewer, file_id: object) -> StoredFile:
    return await repository.visible_file(viewer, file_id)


async def read(viewer: Viewer, file_id: object, storage: Storage) -> tuple[StoredFile, AsyncIterator[bytes]]:
    """A file the viewer may read and its bytes, whose first chunk has been read: bytes gone
    from the store are NOT_FOUND before anything is answered."""
    file = await get_file(viewer, file_id)
    chunks = storage.stream(file.storage_key)
    try:
        first = await anext(chunks, b"")
    except FileNotFoundError:
        log.error("The bytes of file %s (key %s) are not in the store", file.id, file.storage_key)
        raise NotFound("File") from None

    async def all_chunks() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return file, all_chunks()


async def remove_file(viewer: Viewer, file_id: object, storage: Storage) -> None:
    """Removes a file for everyone at once (its row, in a transaction), then its bytes."""
    file = await get_file(viewer, file_id)
    project = await repository.project_of(file)
    member = project is not None and await projects.membership(viewer, Action.MANAGE_PROJECT, project)
    policy.require_file_removal(viewer, file, project, project_member=member)
    await discard([file], storage)


async def discard(files: list[StoredFile], storage: Storage) -> int:
    """Removes `files` without asking who may (the caller decided: an upload that failed,
    abandoned ones, those of a reply by email that was not posted): their rows in one
    transaction, then their bytes. How many were removed."""
    removed = await repository.remove(files)
    for file in removed:
        await _delete_bytes(file.storage_key, storage)
    return len(removed)


async def _delete_bytes(storage_key: str, storage: Storage) -> bool:
    """Deletes bytes queued for deletion; a store that fails keeps them queued for the sweep."""
    try:
        await storage.delete(storage_key)
    except Exception:
        log.warning("Deleting the bytes of %s from the store failed; the worker tries again", storage_key, exc_info=True)
        return False
    await repository.deleted(storage_key)
    return True


async def sweep(storage: Storage, now: datetime | None = None) -> int:
    """The worker's pass: pending uploads older than PENDING_FOR removed, and the bytes of
    removed files that the store failed to delete tried again. How many of each were done."""
    before = (now or clock.now()) - PENDING_FOR
    done = 0
    while abandoned := await repository.pending_before(before, SWEEP_BATCH):
        done += await discard(abandoned, storage)
        if len(abandoned) < SWEEP_BATCH:
            break
    for storage_key in await repository.deletions(SWEEP_BATCH):
        done += await _delete_bytes(storage_key, storage)
    return done
