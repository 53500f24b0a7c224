"""GraphQL inputs into the services' typed inputs, in one place."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from strawberry import UNSET

from clientela.core.values import NOT_GIVEN

T = TypeVar("T")


def service_input(given: Any, cls: type[T], **extra: object) -> T:
    """The dataclass `cls` made of the same-named fields of the GraphQL input `given` (and of
    `extra`); a field the client left out (UNSET) is NOT_GIVEN."""
    names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    values = {name: getattr(given, name) for name in names if hasattr(given, name)}
    values.update(extra)
    return cls(**{name: NOT_GIVEN if value is UNSET else value for name, value in values.items()})
