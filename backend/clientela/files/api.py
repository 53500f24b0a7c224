from __future__ import annotations

import strawberry

from clientela.files import services
from clientela.graphql.context import Info
from clientela.tasks import services as tasks
from clientela.tasks.types import TaskType


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Hangs the viewer's own pending uploads (POST /files) on a task they may edit; who sees "
        "the task sees them (clients where the portal settings list ATTACHMENTS).",
    )
    async def attach_files_to_task(self, info: Info, task_id: strawberry.ID, file_ids: list[strawberry.ID]) -> TaskType:
        return await tasks.attach_files(info.context.viewer, task_id, file_ids)

    @strawberry.mutation(
        description="Removes a file for everyone at once, and its bytes from storage: its uploader may, or who "
        "manages the project it is in.",
    )
    async def remove_file(self, info: Info, id: strawberry.ID) -> bool:
        await services.remove_file(info.context.viewer, id, info.context.storage)
        return True
