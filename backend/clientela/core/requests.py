"""What is noted about the request being served, for its log line and its metrics
(clientela.observe): its id, the operation, who asked, the codes of its errors and the SQL
statements it sent. The layers that learn each fact write it here as they go."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from clientela.core import statements
from clientela.core.errors import ClientelaError

# A slow request's log line shows this many of its statements.
KEPT_STATEMENTS = 20


@dataclass
class RequestRecord:
    statements: statements.Tally
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    operation: str | None = None
    viewer: str | None = None
    # extensions.code of each error, in order; and for RATE_LIMITED ones, which limit refused.
    codes: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def error(self, code: str, limit: object = None) -> None:
        self.codes.append(code)
        if code == "RATE_LIMITED":
            # The sign-in, sign-up, reset and invitation limits (accounts.throttle) name none.
            self.refusals.append(str(limit) if limit else "attempts")

    def refused(self, error: ClientelaError) -> None:
        self.error(error.code, error.extensions.get("limit"))


_current: ContextVar[RequestRecord | None] = ContextVar("request_record", default=None)


def current() -> RequestRecord | None:
    return _current.get()


@contextmanager
def recording() -> Iterator[RequestRecord]:
    with statements.counting(keep=KEPT_STATEMENTS) as tally:
        record = RequestRecord(statements=tally)
        token = _current.set(record)
        try:
            yield record
        finally:
            _current.reset(token)
