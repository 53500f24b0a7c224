"""The shapes of DataLoader that every domain's loaders are made of. A domain's loaders (its
`loaders.py`, next to its repository) are a mixin of cached properties on the request's
`Loaders` (graphql/context.py), made per request because some apply the viewer's visibility.
Every list field of a page loads with one query per field, however many parents the page has."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cache
from typing import Any

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import ValuesListQuery

from clientela.core.ids import as_uuid
from clientela.core.pagination import LIST_LIMIT
from clientela.core.sql import PreparedUnion, from_row, union_rows

Keys = list[uuid.UUID]
# A connection nested under a list (projects { tasks(first: 5) }) loads the pages of this many
# parents in one statement, and their counts in another.
PARENTS_PER_STATEMENT = 100


def by_id(model, visible: Q | None = None) -> DataLoader:
    """Objects by id; with `visible`, those the viewer may not look up are None, so that an
    object reached through a nested field shows no more than its lookup by id."""

    async def load(keys: Keys) -> list[Any]:
        query = model.filter(id__in=set(keys))
        found = {row.id: row for row in await (query.filter(visible) if visible is not None else query)}
        return [found.get(k) for k in keys]

    return DataLoader(load)


def grouped(fetch: Callable[[Keys], Awaitable[Iterable[tuple[uuid.UUID, Any]]]]) -> DataLoader:
    """A loader of lists: `fetch` returns (parent key, item) pairs in the order to show; each
    list is bounded at LIST_LIMIT items (see graphql/limits.py)."""

    async def load(keys: Keys) -> list[list[Any]]:
        groups: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for key, item in await fetch(list(set(keys))):
            groups[key].append(item)
        return [groups.get(k, [])[:LIST_LIMIT] for k in keys]

    return DataLoader(load)


async def per_arguments(keys: list[tuple], fetch: Callable[..., Awaitable[list[Any]]]) -> list[Any]:
    """Keys (parent, *arguments): `fetch(parents, *arguments)` once per set of arguments."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        groups[key[1:]].append(index)
    results: list[Any] = [None] * len(keys)
    for arguments, indexes in groups.items():
        for index, result in zip(indexes, await fetch([keys[i][0] for i in indexes], *arguments), strict=True):
            results[index] = result
    return results


LinkQuery = Callable[[set[uuid.UUID]], ValuesListQuery]


@cache
def _fields(model: type[Model]) -> tuple[tuple[str, str], ...]:
    """(field, column) of each of `model`'s columns; read once Tortoise has set the models up."""
    return tuple(model._meta.fields_db_projection.items())


def along_paths(relation: str, model: type[Model]) -> list[str]:
    """What a link query selects after its three columns for a kind read along (`ReadAlong`):
    every column of `model` through the link's foreign key `relation`."""
    return [f"{relation}__{name}" for name, _ in _fields(model)]


class ReadAlong:
    """What a kind of link names, read in the links' statement (`along_paths`) and put in
    `loader`, by id, so that it takes no statement of its own. Only for a loader that applies no
    visibility of its own (people by id): the link's row is then all it would have read."""

    def __init__(self, model: type[Model], loader: DataLoader) -> None:
        self.model = model
        self.loader = loader

    def put(self, values: Sequence[Any]) -> None:
        columns = [column for _, column in _fields(self.model)]
        found = from_row(self.model, columns, values[: len(columns)])
        self.loader.prime(found.pk, found)


# The links' statement of each set of link queries and number of parents, built once (Tortoise's
# query building, joins through the links' foreign keys above all, costs more than running it).
_LINK_STATEMENTS: dict[tuple, PreparedUnion] = {}


def _link_statement(queries: tuple[LinkQuery, ...], parents: int) -> PreparedUnion:
    key = (tuple(query.__code__ for query in queries), parents)
    if key not in _LINK_STATEMENTS:
        # The placeholders are ids no row has, as text (as Tortoise passes ids); a query closes
        # over nothing (checked in `links`), so its code alone says what it selects.
        placeholders = [str(uuid.UUID(int=index + 1)) for index in range(parents)]
        _LINK_STATEMENTS[key] = PreparedUnion(lambda *ids: [query(set(ids)) for query in queries], *placeholders)
    return _LINK_STATEMENTS[key]


def links(along: dict[str, ReadAlong] | None = None, **kinds: LinkQuery) -> DataLoader:
    """Ids named by link tables, per parent and kind of link, all kinds in one statement. Each
    query, given the parent ids, selects (parent id, link id, named id), and for a kind in
    `along` the named object's columns after them (`along_paths`); each list keeps the order of
    its links. For up to PARENTS_PER_STATEMENT parents the statement is built once, so a query
    may use nothing but the ids it is given."""
    if any(query.__closure__ for query in kinds.values()):
        raise TypeError("a link query closes over nothing: its statement is built once for every request")
    along = along or {}
    queries = tuple(kinds.values())

    async def load(keys: Keys) -> list[dict[str, Keys]]:
        names = list(kinds)
        parents = list(set(keys))
        if len(parents) <= PARENTS_PER_STATEMENT:
            rows = await _link_statement(queries, len(parents)).rows(*map(str, parents))
        else:
            rows = await union_rows(*(query(set(parents)) for query in queries))
        found: dict[uuid.UUID, dict[str, Keys]] = defaultdict(lambda: {name: [] for name in names})
        for branch, parent, _, named, *columns in sorted(rows, key=lambda row: (row[0], as_uuid(row[2]))):
            found[as_uuid(parent)][names[branch]].append(as_uuid(named))
            if names[branch] in along:
                along[names[branch]].put(columns)
        return [found[k] for k in keys]

    return DataLoader(load)


def linked(link_loader: DataLoader, kind: str, loader: DataLoader) -> DataLoader:
    """One kind of link as a list of objects, read through `loader` (people or organizations by
    id), so that they come in with the page's other people or organizations; all kinds of
    links of a parent come from one statement (`links`)."""

    async def load(keys: Keys) -> list[list[Any]]:
        lists = [found[kind] for found in await link_loader.load_many(keys)]
        objects = await loader.load_many([i for ids in lists for i in ids])
        result, start = [], 0
        for ids in lists:
            items = objects[start : start + len(ids)]
            start += len(ids)
            result.append([item for item in items if item is not None][:LIST_LIMIT])
        return result

    return DataLoader(load)


def through(row_model, key_field: str, loader: DataLoader) -> DataLoader:
    """Lists of objects named by a link table (`row_model`: `key_field`, user_id), read through
    `loader`, so that the people of every list of a page come in as few queries as possible."""

    async def fetch(keys: Keys) -> list[tuple[uuid.UUID, Any]]:
        rows = await row_model.filter(**{f"{key_field}__in": keys}).order_by("id").values_list(key_field, "user_id")
        found = await loader.load_many([u for _, u in rows])
        return [(k, item) for (k, _), item in zip(rows, found, strict=True) if item is not None]

    return grouped(fetch)
