"""The one source of "now" for code whose behaviour depends on time passing (response-time
targets): tests replace `now` instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
