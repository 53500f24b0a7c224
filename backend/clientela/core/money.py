"""Exact money: decimals rounded half-up to the cent. Billed = billable minutes / 60 × the
project's hourly rate, rounded once per project and person (or per task)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def billed_amount(minutes: int, hourly_rate: Decimal | None) -> Decimal | None:
    if hourly_rate is None:
        return None
    return (Decimal(minutes) * hourly_rate / Decimal(60)).quantize(CENT, rounding=ROUND_HALF_UP)


def in_cents(value: object) -> Decimal | None:
    """A database amount (Decimal, float or text) as an exact Decimal of cents."""
    return None if value is None else Decimal(str(value)).quantize(CENT)
