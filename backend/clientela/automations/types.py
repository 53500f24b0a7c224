from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from clientela.automations.models import ActionKind, AutomationRule, AutomationRun, RunOutcome, TriggerKind
from clientela.automations.rules import Conditions, RuleAction
from clientela.core.pagination import Page
from clientela.graphql.context import Info
from clientela.graphql.pagination import Edge, PageInfo, edges, page_info
from clientela.tasks.types import TaskPriorityEnum, TaskStatusEnum

TriggerKindEnum = strawberry.enum(TriggerKind, name="AutomationTrigger")
ActionKindEnum = strawberry.enum(ActionKind, name="AutomationActionKind")
RunOutcomeEnum = strawberry.enum(RunOutcome, name="AutomationRunOutcome")

LazyProject = Annotated["ProjectType", strawberry.lazy("clientela.projects.types")]
LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]
LazyTask = Annotated["TaskType", strawberry.lazy("clientela.tasks.types")]
LazyOrganization = Annotated["OrganizationType", strawberry.lazy("clientela.organizations.types")]


@strawberry.type(description="A text of a template in one language (en, es, pt, ru).")
class LocalizedText:
    language: str
    text: str


@strawberry.input(description="A text of a template in one language (en, es, pt, ru).")
class LocalizedTextInput:
    language: str
    text: str


@strawberry.type(
    name="AutomationConditions",
    description="All must hold; a list holds when the item has any of its values; empty: no condition.",
)
class ConditionsType:
    statuses: list[TaskStatusEnum]
    priorities: list[TaskPriorityEnum]
    labels: list[str]
    author_is_client: bool | None = strawberry.field(description="Whether who caused the event is a client; null: either.")

    @strawberry.field(description="The item's requesters are of any of these organizations.")
    async def requester_organizations(self: Conditions, info: Info) -> list[LazyOrganization]:
        found = await info.context.loaders.organization_by_id.load_many(list(self.requester_organization_ids))
        return [o for o in found if o is not None]


@strawberry.input(name="AutomationConditionsInput")
class ConditionsInput:
    statuses: list[TaskStatusEnum] | None = None
    priorities: list[TaskPriorityEnum] | None = None
    labels: list[str] | None = None
    requester_organization_ids: list[strawberry.ID] | None = None
    author_is_client: bool | None = None


@strawberry.type(name="AutomationAction", description="One action; the fields its kind does not use are empty.")
class ActionType:
    kind: ActionKindEnum
    status: TaskStatusEnum | None
    priority: TaskPriorityEnum | None
    labels: list[str]
    to_assignee: bool

    @strawberry.field(description="POST_PUBLIC_REPLY: one per language; the others: one text.")
    def templates(self: RuleAction) -> list[LocalizedText]:
        return [LocalizedText(language=language, text=text) for language, text in self.templates.items()]

    @strawberry.field(description="ASSIGN: the assignee; ADD_FOLLOWERS and EMAIL_STAFF: the firm's people.")
    async def users(self: RuleAction, info: Info) -> list[LazyUser]:
        found = await info.context.loaders.user_by_id.load_many(list(self.user_ids))
        return [u for u in found if u is not None]


@strawberry.input(
    name="AutomationActionInput",
    description=(
        "One action: POST_PUBLIC_REPLY (templates, one per language; placeholders {item}, {requester}, {project}, "
        "{link}), POST_INTERNAL_NOTE (templates), SET_STATUS (status), SET_PRIORITY (priority), ADD_LABELS (labels), "
        "ASSIGN (userIds: one of the firm's people), ADD_FOLLOWERS (userIds), EMAIL_STAFF (templates, userIds and/or "
        "toAssignee). A field the kind does not use is BAD_USER_INPUT."
    ),
)
class ActionInput:
    kind: ActionKindEnum
    templates: list[LocalizedTextInput] | None = None
    status: TaskStatusEnum | None = None
    priority: TaskPriorityEnum | None = None
    labels: list[str] | None = None
    user_ids: list[strawberry.ID] | None = None
    to_assignee: bool = False


@strawberry.input(name="AutomationRuleInput", description="A whole rule; an update replaces every field.")
class RuleInput:
    name: str
    trigger: TriggerKindEnum
    hours: int | None = strawberry.field(
        default=None, description="DUE_DATE_NEAR: hours before the due date; NO_PUBLIC_REPLY: working hours without a reply."
    )
    enabled: bool = True
    project_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Empty: the whole workspace (admins only)."
    )
    conditions: ConditionsInput | None = None
    actions: list[ActionInput]


@strawberry.type(name="AutomationRule")
class RuleType:
    id: strawberry.ID
    name: str
    enabled: bool
    trigger: TriggerKindEnum
    created_at: dt.datetime
    updated_at: dt.datetime

    @strawberry.field
    def hours(self: AutomationRule) -> int | None:
        return self.trigger_hours

    @strawberry.field(description="The projects the rule is limited to; empty: the whole workspace.")
    async def projects(self: AutomationRule, info: Info) -> list[LazyProject]:
        return await info.context.loaders.projects_by_rule.load(self.id)

    @strawberry.field
    def conditions(self: AutomationRule) -> ConditionsType:
        return Conditions.from_document(self.conditions)

    @strawberry.field
    def actions(self: AutomationRule) -> list[ActionType]:
        return [RuleAction.from_document(a) for a in self.actions]

    @strawberry.field
    async def created_by(self: AutomationRule, info: Info) -> LazyUser | None:
        return await info.context.loaders.user_by_id.load(self.created_by_id) if self.created_by_id else None


@strawberry.type
class AutomationRuleConnection:
    edges: list[Edge[RuleType]]
    page_info: PageInfo

    @classmethod
    def of(cls, page: Page) -> AutomationRuleConnection:
        return cls(edges=edges(page), page_info=page_info(page))


@strawberry.type(name="AutomationRun", description="One evaluation of a rule on an item for one triggering event.")
class RunType:
    id: strawberry.ID
    rule_name: str
    trigger: TriggerKindEnum
    outcome: RunOutcomeEnum
    error: str
    created_at: dt.datetime

    @strawberry.field(description="Null once the rule is deleted (ruleName stays).")
    async def rule(self: AutomationRun, info: Info) -> RuleType | None:
        return await info.context.loaders.automation_rule_by_id.load(self.rule_id) if self.rule_id else None

    @strawberry.field
    async def task(self: AutomationRun, info: Info) -> LazyTask | None:
        return await info.context.loaders.visible_task_by_id.load(self.task_id)


@strawberry.type
class AutomationRunConnection:
    edges: list[Edge[RunType]]
    page_info: PageInfo

    @classmethod
    def of(cls, page: Page) -> AutomationRunConnection:
        return cls(edges=edges(page), page_info=page_info(page))
