"""Money figures per client, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela.policy import Viewer
from clientela.reports import repository


class ReportLoaders:
    viewer: Viewer

    @cached_property
    def financial_summary_by_client(self) -> DataLoader:
        return DataLoader(lambda keys: repository.financial_summaries(self.viewer, keys))
