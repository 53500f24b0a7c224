"""Values the service layer's inputs are made of."""

from __future__ import annotations

from enum import Enum
from typing import Final, Literal, TypeVar

T = TypeVar("T")


class _NotGiven(Enum):
    NOT_GIVEN = "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


# A field of a change that the caller left out: the value stays as it is. (None means "clear it".)
NOT_GIVEN: Final = _NotGiven.NOT_GIVEN
NotGiven = Literal[_NotGiven.NOT_GIVEN]
Maybe = T | NotGiven  # noqa: UP040 (a generic alias that type checkers of 3.11 read)


def given(value: object) -> bool:
    return value is not NOT_GIVEN
