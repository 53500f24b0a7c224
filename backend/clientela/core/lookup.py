"""Fetching objects by id through a visibility filter (the policy's `*_visible`), for every
domain's repository and loaders."""

from __future__ import annotations

from typing import TypeVar

from tortoise.expressions import Q
from tortoise.models import Model

from clientela.core.errors import NotFound
from clientela.core.ids import parse_id

ModelT = TypeVar("ModelT", bound=Model)


async def fetch_visible(model: type[ModelT], visible: Q, raw_id: object, what: str, *related: str) -> ModelT:
    """One object by id through the same filter its lists use, with the `related` objects it
    names read in the same statement; NOT_FOUND otherwise."""
    object_id = parse_id(raw_id)
    found = await model.filter(visible, id=object_id).select_related(*related).first() if object_id else None
    if found is None:
        raise NotFound(what)
    return found


async def fetch_all_visible(model: type[ModelT], visible: Q, raw_ids: list, what: str) -> list[ModelT]:
    """Several objects by id, all or nothing: one unknown or invisible id is NOT_FOUND."""
    ids = [parse_id(raw) for raw in raw_ids]
    wanted = set(ids)
    found = await model.filter(visible, id__in=[i for i in wanted if i]) if None not in wanted else []
    if len(found) != len(wanted):
        raise NotFound(what)
    by_id = {row.id: row for row in found}
    return [by_id[i] for i in dict.fromkeys(ids)]
