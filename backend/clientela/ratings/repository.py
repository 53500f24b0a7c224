"""Clients' ratings of resolved items, as Tortoise reads and writes them."""

from __future__ import annotations

import uuid

from tortoise.expressions import Q, Subquery
from tortoise.functions import Avg, Count

from clientela import policy
from clientela.core.ids import as_uuid
from clientela.people.models import User
from clientela.policy import Viewer
from clientela.ratings.models import ItemRating
from clientela.tasks.models import Task


async def rate(task: Task, person: User, score: int, comment: str) -> ItemRating:
    """The person's rating of the task, made or replaced (one per person and item)."""
    values = {"score": score, "comment": comment, "organization_id": person.organization_id}
    for _ in range(2):
        if await ItemRating.filter(task_id=task.id, user_id=person.id).update(**values):
            break
        # Two ratings sent at once may both find none: one is made, the other replaces it.
        await ItemRating.bulk_create([ItemRating(task_id=task.id, user_id=person.id, **values)], ignore_conflicts=True)
    return await ItemRating.get(task_id=task.id, user_id=person.id)


async def ratings_of_tasks(task_ids: list[uuid.UUID]) -> list[ItemRating]:
    return await ItemRating.filter(task_id__in=task_ids).order_by("id")


async def ratings_by(user_id: uuid.UUID, task_ids: list[uuid.UUID]) -> list[ItemRating]:
    return await ItemRating.filter(user_id=user_id, task_id__in=task_ids)


async def _summaries(ratings, key: str) -> dict[uuid.UUID, tuple[float, int]]:
    rows = await ratings.annotate(average=Avg("score"), rated=Count("id")).group_by(key).values_list(key, "average", "rated")
    return {as_uuid(k): (float(average), int(rated)) for k, average, rated in rows}


async def summaries_of_projects(project_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[float, int]]:
    """(average score, number of ratings) of the items of each project that has ratings."""
    ratings = ItemRating.filter(task__project_id__in=project_ids)
    return await _summaries(ratings, "task__project_id")


async def summaries_of_organizations(viewer: Viewer, organization_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[float, int]]:
    """(average score, number of ratings) that each client organization's people gave, on the
    items the viewer sees."""
    visible = Subquery(Task.filter(policy.tasks_visible(viewer)).values("id"))
    ratings = ItemRating.filter(Q(organization_id__in=organization_ids), task_id__in=visible)
    return await _summaries(ratings, "organization_id")
