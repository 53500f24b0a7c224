from __future__ import annotations

import strawberry

from clientela.automations import services
from clientela.automations.rules import Conditions, RuleAction
from clientela.automations.types import AutomationRuleConnection, AutomationRunConnection, RuleInput, RuleType
from clientela.graphql.context import Info


def _values(input: RuleInput) -> services.RuleValues:
    conditions = input.conditions
    return services.RuleValues(
        name=input.name,
        trigger=input.trigger,
        hours=input.hours,
        enabled=input.enabled,
        project_ids=list(input.project_ids),
        conditions=Conditions.checked(
            statuses=conditions.statuses,
            priorities=conditions.priorities,
            labels=conditions.labels,
            requester_organization_ids=conditions.requester_organization_ids,
            author_is_client=conditions.author_is_client,
        )
        if conditions
        else Conditions(),
        actions=[
            RuleAction.checked(
                action.kind,
                templates={t.language: t.text for t in action.templates or []},
                status=action.status,
                priority=action.priority,
                labels=action.labels,
                user_ids=action.user_ids,
                to_assignee=action.to_assignee,
            )
            for action in input.actions
        ],
    )


@strawberry.type
class Query:
    @strawberry.field(description="Admins: every rule; a project's managers: the rules limited to projects they manage.")
    async def automation_rules(self, info: Info, first: int | None = None, after: str | None = None) -> AutomationRuleConnection:
        return AutomationRuleConnection.of(await services.list_rules(info.context.viewer, first, after))

    @strawberry.field
    async def automation_rule(self, info: Info, id: strawberry.ID) -> RuleType:
        return await services.get_rule(info.context.viewer, id)

    @strawberry.field(description="Newest first: the runs of the rules the viewer sees, of one rule or item if given.")
    async def automation_runs(
        self,
        info: Info,
        rule_id: strawberry.ID | None = None,
        task_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AutomationRunConnection:
        return AutomationRunConnection.of(await services.list_runs(info.context.viewer, rule_id, task_id, first, after))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Admins for the whole workspace; a project's managers for rules limited to their projects.")
    async def create_automation_rule(self, info: Info, input: RuleInput) -> RuleType:
        return await services.create_rule(info.context.viewer, _values(input))

    @strawberry.mutation(description="Replaces the whole rule; checked against its old projects and its new ones.")
    async def update_automation_rule(self, info: Info, id: strawberry.ID, input: RuleInput) -> RuleType:
        return await services.update_rule(info.context.viewer, id, _values(input))

    @strawberry.mutation
    async def set_automation_rule_enabled(self, info: Info, id: strawberry.ID, enabled: bool) -> RuleType:
        return await services.set_rule_enabled(info.context.viewer, id, enabled)

    @strawberry.mutation(description="The rule's runs stay, with its name, for admins.")
    async def delete_automation_rule(self, info: Info, id: strawberry.ID) -> bool:
        return await services.delete_rule(info.context.viewer, id)
