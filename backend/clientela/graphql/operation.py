"""The request's record (its log line and metrics, clientela.observe) names the operation that
ran: the request's operationName, else the name in the document."""

from __future__ import annotations

from strawberry.extensions import SchemaExtension

from clientela.core import requests


class NameTheOperation(SchemaExtension):
    def on_operation(self):
        yield
        record = requests.current()
        if record is not None and (name := self.execution_context.operation_name):
            record.operation = name
