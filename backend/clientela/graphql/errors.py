"""What an error looks like to a client: every error has `extensions.code`; errors we did not
raise on purpose are logged with the request id and reach the client as a bare message."""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.utils.str_converters import to_camel_case

from clientela.core.errors import ClientelaError

log = logging.getLogger("clientela.errors")


def graphql_error(error: ClientelaError, *, nodes=None, path=None) -> GraphQLError:
    """The GraphQL error saying what `error` says; the input it names, by its argument's name."""
    extensions, message = error.extensions, error.message
    if isinstance(field := extensions.get("field"), str) and "_" in field:
        extensions = {**extensions, "field": to_camel_case(field)}
        message = message.replace(field, extensions["field"])
    return GraphQLError(message, nodes=nodes, path=path, extensions=extensions, original_error=error)


class ClassifyErrors(MaskErrors):
    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        context = getattr(self.execution_context, "context", None)
        request_id = getattr(context, "request_id", "-")
        return [self._classify(error, request_id) for error in errors]

    def _classify(self, error: GraphQLError, request_id: str) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ClientelaError):
            return graphql_error(original, nodes=error.nodes, path=error.path)
        if original is None or error.path is None:
            # Parse errors, validation errors and bad variables: the document was at fault.
            error.extensions = {**(error.extensions or {}), "code": (error.extensions or {}).get("code", "BAD_USER_INPUT")}
            return error
        log.error("request %s: unexpected error at %s", request_id, error.path, exc_info=original)
        return GraphQLError(
            f"Internal error (request {request_id}).",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )
