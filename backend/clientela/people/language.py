"""The effective interface language of a person: their own, else their organization's, else
their workspace's. The GraphQL field reads the last two through the request's loaders, an email
through people/repository."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from clientela.people import repository
from clientela.people.models import User

LanguageOf = Callable[[uuid.UUID], Awaitable[str | None]]


async def effective_language(
    person: User,
    organization_language: LanguageOf = repository.organization_language,
    workspace_language: LanguageOf = repository.workspace_language,
) -> str:
    if person.language:
        return person.language
    if person.organization_id and (language := await organization_language(person.organization_id)):
        return language
    return await workspace_language(person.workspace_id)
