"""People by id, for the request's Loaders (see core/dataloaders.py)."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela.core.dataloaders import by_id
from clientela.people.models import User


class PeopleLoaders:
    @cached_property
    def user_by_id(self) -> DataLoader:
        """Anyone reached through a visible parent (a task's requesters, a message's author)."""
        return by_id(User)
