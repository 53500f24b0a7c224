"""Limits on a GraphQL document, checked before anything runs: depth, aliases, tokens (see
build_schema), the length of input lists, and a node budget. Every list is paginated (`first`,
1–100) or bounded at LIST_LIMIT items, so the worst case of a document is known from its text
and variables.

The node budget (MAX_NODES) adds up what a document may cost:
- list items: the items a document may return at its deepest level, each list's bound multiplied
  through the lists around it (tasks(first: 50) { requesters } may return 50 × 100 people); a
  single object costs nothing of its own;
- what reads many rows for one answer costs a fixed amount each place it appears in the
  document, however many parents that place has (under a list it is computed for a whole page
  of parents in one statement, see graphql/loaders.py, which reads no more than the same over
  everything would): a total or a sum (AGGREGATE_COST), and a report or a filtered connection
  (SCAN_COST), which may read every row of its period or of its parents' lists to find a few.

Input lists (arguments and input-object fields, literals or variables) have at most
MAX_INPUT_LIST items, checked before any resolver runs."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    VariableNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from clientela.automations.rules import MAX_ACTIONS
from clientela.core.pagination import (
    DEFAULT_PAGE,
    LIST_LIMIT,
    MAX_PAGE,
    ROOT_LIST_LIMIT,
)
from clientela.core.validation import SUPPORTED_LANGUAGES
from clientela.files.services import FILES_PER_MESSAGE
from clientela.targets.services import TARGETS_PER_ITEM

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_NODES = 10_000
LIST_BOUNDS = {
    "Query.organizations": ROOT_LIST_LIMIT,
    "Query.people": ROOT_LIST_LIMIT,
    "Query.projects": ROOT_LIST_LIMIT,
    "Query.messageRecipients": ROOT_LIST_LIMIT,
    "TimeReport.rows": ROOT_LIST_LIMIT,
    "Task.responseTargets": TARGETS_PER_ITEM,
    "AutomationRule.actions": MAX_ACTIONS,
    "AutomationAction.templates": len(SUPPORTED_LANGUAGES),
    "Message.files": FILES_PER_MESSAGE,
}
AGGREGATE_COST = 1_000
SCAN_COST = 2_500
AGGREGATE_COSTS = {
    "TaskConnection.totalCount": AGGREGATE_COST,
    "Project.timeSpentMinutes": AGGREGATE_COST,
    "Project.billed": AGGREGATE_COST,
    "Organization.financialSummary": AGGREGATE_COST,
    "Query.messageRecipients": AGGREGATE_COST,
    # The unread messages of every item the viewer sees; the ratings of a project or a client.
    "Query.portalUnreadCount": AGGREGATE_COST,
    "Project.rating": AGGREGATE_COST,
    "Organization.rating": AGGREGATE_COST,
    # Every time entry of the period (up to five years) of every visible project.
    "Query.timeReport": SCAN_COST,
}
# Connections whose filter arguments, when given, cost SCAN_COST.
FILTERS = {
    "Project.tasks": ("status", "labels", "targetState"),
    "Query.portalItems": ("targetState", "search", "status", "resolved", "whose"),
}
MAX_INPUT_LIST = 100


def _operations(context) -> Iterator[tuple[OperationDefinitionNode, GraphQLObjectType | None, dict, dict]]:
    """The operations of the request to check: each with its root type, the document's
    fragments and the variables, a variable left out taking its default (which may ask for as
    much as a given one)."""
    document = context.graphql_document
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if context.operation_name:
        operations = [o for o in operations if o.name and o.name.value == context.operation_name]
    schema = context.schema._schema
    for operation in operations:
        defaults = {
            v.variable.name.value: value_from_ast_untyped(v.default_value)
            for v in operation.variable_definitions or ()
            if v.default_value is not None
        }
        yield operation, schema.get_root_type(operation.operation), fragments, {**defaults, **(context.variables or {})}


def _argument(field: FieldNode, name: str, variables: dict) -> object:
    """The value of an argument, variables put in; Undefined when not given."""
    for argument in field.arguments or ():
        if argument.name.value == name:
            if isinstance(argument.value, VariableNode):
                return variables.get(argument.value.name.value, Undefined)
            return value_from_ast_untyped(argument.value, variables)
    return Undefined


class InputListLimit(SchemaExtension):
    """Refuses a document that gives an argument, or a field of an input object, a list of more
    than MAX_INPUT_LIST items, whether written in the document or sent as a variable: before
    any resolver runs, so that none can forget the bound and nothing is written."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.pre_execution_errors:  # after validation
            for operation, root, fragments, variables in _operations(context):
                error = _InputLists(fragments, variables).check(operation.selection_set, root) if root else None
                if error is not None:
                    context.pre_execution_errors = [error]
                    break
        yield


class _InputLists:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], variables: dict) -> None:
        self.fragments = fragments
        self.variables = variables
        self.seen_fragments: set[str] = set()

    def check(self, selection_set: SelectionSetNode | None, parent) -> GraphQLError | None:
        for selection in selection_set.selections if selection_set else ():
            error = None
            if isinstance(selection, FieldNode):
                error = self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                error = self.check(selection.selection_set, parent)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in self.seen_fragments:
                    self.seen_fragments.add(name)
                    error = self.check(self.fragments[name].selection_set, parent)
                    self.seen_fragments.discard(name)
            if error is not None:
                return error
        return None

    def _field(self, node: FieldNode, parent) -> GraphQLError | None:
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None:
            return None
        for argument in node.arguments or ():
            argument_definition = definition.args.get(argument.name.value)
            if argument_definition is not None:
                value = _argument(node, argument.name.value, self.variables)
                error = self._value(value, argument_definition.type, argument.name.value)
                if error is not None:
                    return error
        field_type = definition.type
        while isinstance(field_type, (GraphQLNonNull, GraphQLList)):
            field_type = field_type.of_type
        return self.check(node.selection_set, field_type) if node.selection_set else None

    def _value(self, value: object, input_type: GraphQLInputType, path: str) -> GraphQLError | None:
        if isinstance(input_type, GraphQLNonNull):
            input_type = input_type.of_type
        if isinstance(input_type, GraphQLList):
            if not isinstance(value, list):
                return self._value(value, input_type.of_type, path)  # one value stands for a list of one
            if len(value) > MAX_INPUT_LIST:
                name = path.rsplit(".", 1)[-1]
                return GraphQLError(
                    f"{path} has {len(value)} items; the limit is {MAX_INPUT_LIST} per list.",
                    extensions={"code": "BAD_USER_INPUT", "limit": "inputList", "field": name, "maxItems": MAX_INPUT_LIST},
                )
            for item in value:
                if (error := self._value(item, input_type.of_type, path)) is not None:
                    return error
        elif isinstance(input_type, GraphQLInputObjectType) and isinstance(value, dict):
            for name, field in input_type.fields.items():
                if name in value and (error := self._value(value[name], field.type, f"{path}.{name}")) is not None:
                    return error
        return None


class NodeBudget(SchemaExtension):
    """Refuses a document whose worst case costs more than MAX_NODES (see the module)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.pre_execution_errors:  # after validation (cached or not)
            for operation, root, fragments, variables in _operations(context):
                nodes = _Walker(fragments, variables).total(operation.selection_set, root) if root else 0
                if nodes > MAX_NODES:
                    context.pre_execution_errors = [
                        GraphQLError(
                            f"This query may cost up to {nodes} nodes; the limit is {MAX_NODES}. A list item counts 1 "
                            f"(times the lists around it), a total or sum {AGGREGATE_COST}, a report or a filter "
                            f"{SCAN_COST}. Ask for smaller pages (first), fewer nested lists, totals, reports or filters.",
                            extensions={"code": "BAD_USER_INPUT", "limit": "nodes", "maxNodes": MAX_NODES},
                        )
                    ]
                    break
        yield


class _Walker:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], variables: dict) -> None:
        self.fragments = fragments
        self.variables = variables
        self.seen_fragments: set[str] = set()
        self.aggregates = 0  # never multiplied by the lists around them

    def total(self, selection_set: SelectionSetNode, root: GraphQLObjectType) -> int:
        return self.cost(selection_set, root, None) + self.aggregates

    def _first(self, field: FieldNode) -> int | None:
        if not any(argument.name.value == "first" for argument in field.arguments or ()):
            return None
        value = _argument(field, "first", self.variables)
        if value is None or value is Undefined:
            return DEFAULT_PAGE
        return max(1, min(int(value), MAX_PAGE)) if isinstance(value, int) else MAX_PAGE

    def _filtered(self, field: FieldNode, coordinate: str) -> bool:
        for name in FILTERS.get(coordinate, ()):
            value = _argument(field, name, self.variables)
            if value is not None and value is not Undefined and value != []:
                return True
        return False

    def cost(self, selection_set: SelectionSetNode | None, parent: GraphQLObjectType, page: int | None) -> int:
        """List items the selection may return under one `parent`; `page` sizes a connection's
        edges. Aggregates, reports and filters add up in `self.aggregates`."""
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                total += self.cost(selection.selection_set, parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in self.seen_fragments:
                    self.seen_fragments.add(name)  # a fragment spread inside itself is a validation error
                    total += self.cost(self.fragments[name].selection_set, parent, page)
                    self.seen_fragments.discard(name)
        return total

    def _field(self, node: FieldNode, parent: GraphQLObjectType, page: int | None) -> int:
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None:
            return 0  # unknown fields are for validation to report
        coordinate = f"{parent.name}.{node.name.value}"
        self.aggregates += AGGREGATE_COSTS.get(coordinate, 0) + (SCAN_COST if self._filtered(node, coordinate) else 0)
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        is_list = isinstance(field_type, GraphQLList)
        while isinstance(field_type, (GraphQLNonNull, GraphQLList)):
            field_type = field_type.of_type
        if not isinstance(field_type, GraphQLObjectType) or node.selection_set is None:
            return 0
        inner = self.cost(node.selection_set, field_type, self._first(node))
        bound = page or LIST_BOUNDS.get(coordinate, LIST_LIMIT)
        return bound * max(1, inner) if is_list else inner
