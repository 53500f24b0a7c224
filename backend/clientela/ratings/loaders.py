"""Items' ratings and the averages of projects and clients, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela.core.dataloaders import Keys, grouped
from clientela.policy import Viewer
from clientela.ratings import repository


class RatingLoaders:
    viewer: Viewer

    @cached_property
    def ratings_by_task(self) -> DataLoader:
        async def fetch(keys: Keys):
            return [(r.task_id, r) for r in await repository.ratings_of_tasks(keys)]

        return grouped(fetch)

    @cached_property
    def own_rating_by_task(self) -> DataLoader:
        async def load(keys: Keys):
            found = {r.task_id: r for r in await repository.ratings_by(self.viewer.user_id, list(set(keys)))}
            return [found.get(key) for key in keys]

        return DataLoader(load)

    @cached_property
    def rating_by_project(self) -> DataLoader:
        async def load(keys: Keys):
            found = await repository.summaries_of_projects(list(set(keys)))
            return [found.get(key, (None, 0)) for key in keys]

        return DataLoader(load)

    @cached_property
    def rating_by_organization(self) -> DataLoader:
        async def load(keys: Keys):
            found = await repository.summaries_of_organizations(self.viewer, list(set(keys)))
            return [found.get(key, (None, 0)) for key in keys]

        return DataLoader(load)
