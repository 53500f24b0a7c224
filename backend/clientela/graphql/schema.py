"""The GraphQL schema: each domain contributes its Query and Mutation fields."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import strawberry
from graphql import GraphQLID
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types.base_scalars import wrap_parser
from strawberry.schema.types.scalar import DEFAULT_SCALAR_REGISTRY
from strawberry.tools import merge_types

from clientela.accounts import api as accounts
from clientela.audit import api as audit
from clientela.automations import api as automations
from clientela.conversations import api as conversations
from clientela.fair_use import ExpensiveBudget
from clientela.files import api as files
from clientela.graphql.errors import ClassifyErrors
from clientela.graphql.limits import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS, InputListLimit, NodeBudget
from clientela.graphql.operation import NameTheOperation
from clientela.graphql.preview import ReadOnlyPreview
from clientela.organizations import api as organizations
from clientela.partners import api as partners
from clientela.people import api as people
from clientela.portal import api as portal
from clientela.projects import api as projects
from clientela.ratings import api as ratings
from clientela.reports import api as reports
from clientela.sharing import api as sharing
from clientela.targets import api as targets
from clientela.tasks import api as tasks

DOMAINS = (
    accounts,
    organizations,
    people,
    sharing,
    partners,
    projects,
    tasks,
    conversations,
    portal,
    reports,
    audit,
    targets,
    automations,
    files,
    ratings,
)


def _serialize_id(value: object) -> str:
    # Our ids are UUIDs; graphql-core's ID only knows str and int.
    return str(value) if isinstance(value, uuid.UUID) else GraphQLID.serialize(value)


# For this schema only: graphql-core's own ID type is left as it is.
ID_OF_UUIDS = dataclasses.replace(DEFAULT_SCALAR_REGISTRY[strawberry.ID], serialize=_serialize_id)


def _without_parser_detail(origin: type, example: str):
    # Strawberry appends the parser's own exception, which for dates reads like a traceback
    # ("invalid literal for int() with base 10"); an example of the format helps more.
    definition = DEFAULT_SCALAR_REGISTRY[origin]
    parser = wrap_parser(definition.parse_value, definition.name, exceptions=(Exception,), include_error=False)

    def parse_value(value: object) -> object:
        try:
            return parser(value)
        except Exception as error:
            raise type(error)(f"{error} Expected ISO 8601, e.g. {example}.") from None

    return dataclasses.replace(definition, parse_value=parse_value)


SCALARS = {
    strawberry.ID: ID_OF_UUIDS,
    dt.datetime: _without_parser_detail(dt.datetime, "2026-12-31T17:00:00Z"),
    dt.date: _without_parser_detail(dt.date, "2026-12-31"),
}

Query = merge_types("Query", tuple(d.Query for d in DOMAINS if hasattr(d, "Query")))
Mutation = merge_types("Mutation", tuple(d.Mutation for d in DOMAINS if hasattr(d, "Mutation")))


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # Errors before execution (parse, validation, limits) are the document's fault; some of
        # them (parse errors) never reach ClassifyErrors, so they get their code here. What was
        # unexpected has been logged by ClassifyErrors; refusals and bad input are not news.
        for error in errors:
            if error.path is None and not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}


def build_schema(*, development: bool = True, introspection: bool = True) -> strawberry.Schema:
    extensions = [
        ClassifyErrors(),
        NameTheOperation(),
        MaxTokensLimiter(max_token_count=MAX_TOKENS),
        ParserCache(maxsize=512),
        QueryDepthLimiter(max_depth=MAX_DEPTH),
        MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        ValidationCache(maxsize=512),
        InputListLimit(),
        NodeBudget(),
        ReadOnlyPreview(),  # graphql/preview.py: before any budget or write
        ExpensiveBudget(),  # clientela.fair_use: after the limits, before anything runs
    ]
    if not introspection:
        extensions.append(DisableIntrospection())
    return Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(disable_field_suggestions=not development),
        extensions=extensions,
        scalar_overrides=SCALARS,
    )


schema = build_schema()
