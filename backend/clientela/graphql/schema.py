"""The GraphQL schema: each domain contributes its Query and Mutation fields."""

from __future__ import annotations

import uuid

import strawberry
from graphql import GraphQLID
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from clientela.accounts import api as accounts
from clientela.audit import api as audit
from clientela.conversations import api as conversations
from clientela.graphql.errors import ClassifyErrors
from clientela.organizations import api as organizations
from clientela.people import api as people
from clientela.portal import api as portal
from clientela.projects import api as projects
from clientela.reports import api as reports
from clientela.sharing import api as sharing
from clientela.tasks import api as tasks

DOMAINS = (accounts, organizations, people, sharing, projects, tasks, conversations, portal, reports, audit)

_serialize_id = GraphQLID.serialize


def _serialize_uuid_id(value: object) -> str:
    # Our ids are UUIDs; graphql-core's ID only knows str and int.
    return str(value) if isinstance(value, uuid.UUID) else _serialize_id(value)


GraphQLID.serialize = _serialize_uuid_id

Query = merge_types("Query", tuple(d.Query for d in DOMAINS if hasattr(d, "Query")))
Mutation = merge_types("Mutation", tuple(d.Mutation for d in DOMAINS if hasattr(d, "Mutation")))


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # ClassifyErrors has logged what was unexpected; refusals and bad input are not news.
        return None


def build_schema(*, development: bool = True) -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(disable_field_suggestions=not development),
        extensions=[ClassifyErrors(), ParserCache(maxsize=256), ValidationCache(maxsize=256)],
    )


schema = build_schema()
