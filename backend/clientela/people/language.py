"""The effective interface language of a person: their own, else their organization's, else
their workspace's."""

from __future__ import annotations

from clientela.people.models import User


async def effective_language(person: User) -> str:
    if person.language:
        return person.language
    await person.fetch_related("organization", "workspace")
    if person.organization and person.organization.language:
        return person.organization.language
    return person.workspace.language
