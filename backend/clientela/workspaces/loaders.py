"""Workspaces by id, for the request's Loaders (see core/dataloaders.py)."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela.core.dataloaders import by_id
from clientela.workspaces.models import Workspace


class WorkspaceLoaders:
    @cached_property
    def workspace_by_id(self) -> DataLoader:
        return by_id(Workspace)
