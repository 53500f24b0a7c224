from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from clientela.files.models import StoredFile
from clientela.graphql.context import Info

LazyUser = Annotated["UserType", strawberry.lazy("clientela.people.types")]


def download_path(file_id: object) -> str:
    return f"/files/{file_id}"


@strawberry.type(name="File", description="A file on a task or a message, or an upload not attached yet.")
class FileType:
    id: strawberry.ID
    name: str = strawberry.field(description="The uploader's name for it, cleaned; only shown, never a path.")
    size: int = strawberry.field(description="In bytes.")
    content_type: str = strawberry.field(description="Detected from the bytes when it was uploaded.")
    created_at: dt.datetime

    @strawberry.field
    async def uploaded_by(self: StoredFile, info: Info) -> LazyUser:
        return await info.context.loaders.user_by_id.load(self.uploaded_by_id)

    @strawberry.field(description="Where to download it (GET, with the bearer token).")
    def url(self: StoredFile) -> str:
        return download_path(self.id)
