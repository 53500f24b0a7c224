"""Files' rows as Tortoise reads and writes them; every read by id through the policy's filter."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from clientela import policy
from clientela.conversations.models import Message
from clientela.core.errors import BadUserInput
from clientela.core.lookup import fetch_all_visible, fetch_visible
from clientela.db import is_postgres
from clientela.files.models import FileDeletion, StoredFile
from clientela.policy import Viewer
from clientela.projects.models import Project
from clientela.tasks.models import Task
from clientela.workspaces.models import Workspace


async def visible_file(viewer: Viewer, file_id: object) -> StoredFile:
    return await fetch_visible(StoredFile, policy.files_visible(viewer), file_id, "File")


async def visible_files(viewer: Viewer, file_ids: list) -> list[StoredFile]:
    return await fetch_all_visible(StoredFile, policy.files_visible(viewer), file_ids, "File")


async def files_of_messages(message_ids: list[uuid.UUID]) -> list[StoredFile]:
    """The files of these messages, the smallest first (for the emails that carry them)."""
    return await StoredFile.filter(message_id__in=message_ids).order_by("size", "id")


async def project_of(file: StoredFile) -> Project | None:
    """The project of the task or message the file hangs on; None for a pending file."""
    if file.task_id is not None:
        return await Project.get(tasks__id=file.task_id)
    if file.message_id is None:
        return None
    [(task_id, project_id)] = await Message.filter(id=file.message_id).values_list("task_id", "project_id")
    return await (Project.get(tasks__id=task_id) if task_id else Project.get(id=project_id))


async def create_pending(
    viewer: Viewer, *, storage_key: str, name: str, content_type: str, size: int, admit: Callable[[int], None]
) -> StoredFile:
    """The viewer's pending file, once `admit(usage)` has accepted the workspace's usage (the
    sizes of all its files) without raising. On PostgreSQL the workspace's row is locked
    first, so that uploads at the same moment are admitted one after the other."""
    async with in_transaction():
        if is_postgres():
            await Workspace.filter(id=viewer.workspace_id).select_for_update().only("id").first()
        [usage] = (
            await StoredFile.filter(workspace_id=viewer.workspace_id).annotate(used=Sum("size")).values_list("used", flat=True)
        )
        admit(int(usage or 0))
        return await StoredFile.create(
            workspace_id=viewer.workspace_id,
            uploaded_by_id=viewer.user_id,
            storage_key=storage_key,
            name=name,
            content_type=content_type,
            size=size,
        )


async def attach(files: list[StoredFile], *, task: Task | None = None, message: Message | None = None, most: int) -> None:
    """`files`, pending, hung on the task or on the message, which then has at most `most` files;
    run inside the transaction that makes the message or the task, or on its own. A file
    attached meanwhile by another request is refused. On PostgreSQL the task's (or message's)
    row is locked first, so that attaches at the same moment count one after the other and
    never pass `most` together (SQLite runs one write transaction at a time)."""
    if not files:
        return
    target = {"task_id": task.id} if task is not None else {"message_id": message.id}
    async with in_transaction():
        if is_postgres():
            holder = Task.filter(id=task.id) if task is not None else Message.filter(id=message.id)
            await holder.select_for_update().only("id").first()
        if await StoredFile.filter(**target).count() + len(files) > most:
            raise BadUserInput(f"At most {most} files hang on one {'item' if task else 'message'}.", field="file_ids")
        attached = await StoredFile.filter(id__in=[f.id for f in files], task_id__isnull=True, message_id__isnull=True).update(
            **target
        )
        if attached != len(files):
            raise BadUserInput("A file was attached elsewhere meanwhile.", field="file_ids")
    for file in files:
        file.update_from_dict(target)


async def remove(files: list[StoredFile]) -> list[StoredFile]:
    """The rows of `files` deleted and their bytes queued for deletion, in one transaction (from
    its commit on, nobody reads them); each only while it still hangs where it was read (a
    pending file attached meanwhile stays). The files removed."""
    removed = []
    async with in_transaction():
        for file in files:
            if await StoredFile.filter(id=file.id, task_id=file.task_id, message_id=file.message_id).delete():
                removed.append(file)
        await FileDeletion.bulk_create([FileDeletion(storage_key=f.storage_key) for f in removed], ignore_conflicts=True)
    return removed


async def pending_before(moment: datetime, limit: int) -> list[StoredFile]:
    """Pending files uploaded before `moment`, oldest first."""
    return (
        await StoredFile.filter(task_id__isnull=True, message_id__isnull=True, created_at__lt=moment).order_by("id").limit(limit)
    )


async def deletions(limit: int) -> list[str]:
    """Storage keys whose bytes are still to delete, oldest first."""
    return await FileDeletion.all().order_by("id").limit(limit).values_list("storage_key", flat=True)


async def deleted(storage_key: str) -> None:
    """The store has let go of the bytes of `storage_key`."""
    await FileDeletion.filter(storage_key=storage_key).delete()
