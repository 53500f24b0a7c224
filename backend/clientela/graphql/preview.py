"""A preview as a client is read-only: after validation and before anything runs, a mutation
sent with the Clientela-View-As header is refused (nothing written, not even the audit entry),
and a query is written to the client's audit log (accounts/preview.py)."""

from __future__ import annotations

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from clientela import policy
from clientela.accounts import preview


class ReadOnlyPreview(SchemaExtension):
    async def on_execute(self):
        execution = self.execution_context
        context = execution.context
        previewer = getattr(context, "previewer", None)
        if previewer is not None:
            policy.require_not_previewing(execution.operation_type is not OperationType.QUERY)
            await preview.record_preview(previewer, context.viewer)
        yield
