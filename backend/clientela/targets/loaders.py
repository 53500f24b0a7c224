"""Items' targets and the workspace's settings, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela.core.dataloaders import Keys, grouped
from clientela.targets import repository


class TargetLoaders:
    @cached_property
    def target_clocks_by_task(self) -> DataLoader:
        async def fetch(keys: Keys):
            return [(c.task_id, c) for c in await repository.clocks_of_tasks(keys)]

        return grouped(fetch)

    @cached_property
    def target_settings_by_workspace(self) -> DataLoader:
        return DataLoader(repository.settings_of_workspaces)
