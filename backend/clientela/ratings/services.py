"""Clients rate the items they requested once they are resolved; the firm reads the ratings."""

from __future__ import annotations

from clientela import policy
from clientela.core import validation
from clientela.core.errors import BadUserInput
from clientela.policy import Viewer
from clientela.ratings import repository
from clientela.ratings.models import MAX_SCORE, MIN_SCORE, ItemRating
from clientela.tasks import repository as task_rows
from clientela.tasks import services as tasks
from clientela.tasks.models import TaskStatus


async def rate_item(viewer: Viewer, task_id: object, score: int, comment: str | None) -> ItemRating:
    """The viewer's rating of a resolved item they requested: a score of 1 to 5 and a comment,
    replacing their earlier one. Reopening an item keeps its ratings."""
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise BadUserInput(f"score must be between {MIN_SCORE} and {MAX_SCORE}.", field="score")
    comment = validation.text(comment, "comment")
    task = await tasks.get_task(viewer, task_id)
    requester = await task_rows.is_requester(task, viewer.user_id)
    policy.require_rating(viewer, requester=requester, resolved=task.status is TaskStatus.DONE)
    return await repository.rate(task, viewer.user, score, comment)
