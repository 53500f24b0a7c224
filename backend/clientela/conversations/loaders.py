"""Messages of tasks and their recipients, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela import policy
from clientela.conversations import repository
from clientela.conversations.models import ItemNotifications, Message, MessageRecipient
from clientela.core.dataloaders import Keys, grouped, through
from clientela.policy import Viewer


class ConversationLoaders:
    viewer: Viewer
    user_by_id: DataLoader

    @cached_property
    def messages_by_task(self) -> DataLoader:
        async def fetch(keys: Keys):
            messages = Message.filter(policy.messages_visible(self.viewer), task_id__in=keys).select_related("author")
            found = await messages.order_by("id")
            self.user_by_id.prime_many({m.author_id: m.author for m in found})  # read with them: no statement of their own
            return [(m.task_id, m) for m in found]

        return grouped(fetch)

    @cached_property
    def recipients_by_message(self) -> DataLoader:
        return through(MessageRecipient, "message_id", self.user_by_id)

    @cached_property
    def unread_by_task(self) -> DataLoader:
        """Whether each task has public messages of others that the viewer has not read."""

        async def load(keys: Keys) -> list[bool]:
            unread = await repository.unread_tasks(self.viewer, list(set(keys)))
            return [key in unread for key in keys]

        return DataLoader(load)

    @cached_property
    def notifications_by_task(self) -> DataLoader:
        """The viewer's choice for each task's emails."""

        async def load(keys: Keys) -> list[ItemNotifications]:
            chosen = await repository.notifications_of(self.viewer.user_id, list(set(keys)))
            return [chosen.get(key, ItemNotifications.DEFAULT) for key in keys]

        return DataLoader(load)
