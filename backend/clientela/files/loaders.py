"""The files of tasks and of messages, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela.core.dataloaders import Keys, grouped
from clientela.files.models import StoredFile


class FileLoaders:
    """Keyed by tasks and messages the viewer reads already; whether the viewer sees files at
    all is the resolver's question (policy.sees_attachments)."""

    @cached_property
    def files_by_task(self) -> DataLoader:
        async def fetch(keys: Keys):
            return [(f.task_id, f) for f in await StoredFile.filter(task_id__in=keys).order_by("id")]

        return grouped(fetch)

    @cached_property
    def files_by_message(self) -> DataLoader:
        async def fetch(keys: Keys):
            return [(f.message_id, f) for f in await StoredFile.filter(message_id__in=keys).order_by("id")]

        return grouped(fetch)
