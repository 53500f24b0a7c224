"""Rules' projects and runs' items, for the request's Loaders."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from clientela import policy
from clientela.automations import repository
from clientela.automations.models import AutomationRule
from clientela.core.dataloaders import Keys, by_id, grouped
from clientela.policy import Viewer
from clientela.tasks.models import Task


class AutomationLoaders:
    viewer: Viewer
    project_by_id: DataLoader

    @cached_property
    def projects_by_rule(self) -> DataLoader:
        """The projects a rule is limited to (its readers manage them all: policy.automation_rules_visible)."""

        async def fetch(keys: Keys):
            rows = await repository.scope_of(keys)
            projects = await self.project_by_id.load_many([p for _, p in rows])
            return [(rule_id, project) for (rule_id, _), project in zip(rows, projects, strict=True) if project is not None]

        return grouped(fetch)

    @cached_property
    def visible_task_by_id(self) -> DataLoader:
        return by_id(Task, policy.tasks_visible(self.viewer))

    @cached_property
    def automation_rule_by_id(self) -> DataLoader:
        return by_id(AutomationRule, policy.automation_rules_visible(self.viewer))
