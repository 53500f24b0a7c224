"""Limits on a GraphQL document, checked before anything runs: depth, aliases, tokens (see
build_schema) and a node budget. Every list is paginated (`first`, 1–100) or bounded at
LIST_LIMIT items, so the worst case of a document is known from its text and variables.

Nodes are counted as the list items a document may return at its deepest level: each list's
bound multiplied through the lists around it (tasks(first: 50) { requesters } may return 50 × 100
people); a single object costs nothing of its own."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from clientela.core.pagination import (
    DEFAULT_PAGE,
    LIST_LIMIT,
    MAX_PAGE,
    ROOT_LIST_LIMIT,
)

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
}


class NodeBudget(SchemaExtension):
    """Refuses a document whose worst case exceeds MAX_NODES objects."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.pre_execution_errors:  # after validation (cached or not)
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if context.operation_name:
                operations = [o for o in operations if o.name and o.name.value == context.operation_name]
            schema = context.schema._schema
            for operation in operations:
                root = schema.get_root_type(operation.operation)
                # A variable left out takes its default, which may ask for as much as a given one.
                defaults = {
                    v.variable.name.value: value_from_ast_untyped(v.default_value)
                    for v in operation.variable_definitions or ()
                    if v.default_value is not None
                }
                walker = _Walker(fragments, {**defaults, **(context.variables or {})})
                nodes = walker.cost(operation.selection_set, root, None) if root else 0
                if nodes > MAX_NODES:
                    context.pre_execution_errors = [
                        GraphQLError(
                            f"This query may return up to {nodes} objects; the limit is {MAX_NODES}. "
                            "Ask for smaller pages (first) or fewer nested lists.",
                            extensions={"code": "BAD_USER_INPUT", "limit": "nodes", "maxNodes": MAX_NODES},
                        )
                    ]
        yield


class _Walker:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], variables: dict) -> None:
        self.fragments = fragments
        self.variables = variables
        self.seen_fragments: set[str] = set()

    def _first(self, field: FieldNode) -> int | None:
        for argument in field.arguments or ():
            if argument.name.value == "first":
                if isinstance(argument.value, VariableNode):
                    value = self.variables.get(argument.value.name.value)
                else:
                    value = value_from_ast_untyped(argument.value, self.variables)
                if value is None:
                    return DEFAULT_PAGE
                return max(1, min(int(value), MAX_PAGE)) if isinstance(value, int) else MAX_PAGE
        return None

    def cost(self, selection_set: SelectionSetNode | None, parent: GraphQLObjectType, page: int | None) -> int:
        """List items the selection may return under one `parent`; `page` sizes a connection's edges."""
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
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        is_list = isinstance(field_type, GraphQLList)
        while isinstance(field_type, (GraphQLNonNull, GraphQLList)):
            field_type = field_type.of_type
        if not isinstance(field_type, GraphQLObjectType) or node.selection_set is None:
            return 0
        inner = self.cost(node.selection_set, field_type, self._first(node))
        bound = page or LIST_BOUNDS.get(f"{parent.name}.{node.name.value}", LIST_LIMIT)
        return bound * max(1, inner) if is_list else inner
