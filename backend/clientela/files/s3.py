"""Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, …), for several processes or machines.

One aioboto3 Session per store, one client per operation. The session keeps botocore's loaded
service models, so a client costs a few milliseconds after the first; opened per operation, a
client lives and dies in the event loop and task that use it, and needs no owner to close it at
shutdown (the app, the worker, the command line and the tests each run their own loops). The
price is a new connection per upload or download, small beside moving a file. Build the store
once per process (`storage_from_settings`), not per request: a new Session loads the models
again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import BinaryIO

import aioboto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from clientela.files.storage import CHUNK_BYTES, checked_key

PART_BYTES = 8 * 1024 * 1024
# Parts are read while the previous one is sent, one at a time: an upload holds about six parts'
# worth whatever the file's size (aioboto3 keeps the first; one is being read, one waits, one is
# sent and sending copies it), under 56 MiB (tests/test_storage.py). Several parts in flight
# would hold more for little gain on files of the upload limit's size.
TRANSFER = TransferConfig(
    multipart_threshold=PART_BYTES,
    multipart_chunksize=PART_BYTES,
    max_concurrency=1,
    max_io_queue=1,
)
_MISSING = {"NoSuchKey", "404"}


class _ThreadedReader:
    """The source read off the event loop: aioboto3 awaits `read` when it returns an awaitable,
    and would otherwise read a blocking file in the loop."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source

    async def read(self, size: int) -> bytes:
        return await asyncio.to_thread(self._source.read, size)


class S3Storage:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        # "files" and "files/" both keep the objects under "files/".
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # Unset keys and region fall back to boto's own chain (AWS_* variables, an instance role).
        self._session = aioboto3.Session(
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key, region_name=region
        )

    def _object_key(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def _client(self):
        return self._session.client("s3", endpoint_url=self.endpoint_url)

    async def put(self, key: str, source: BinaryIO, size: int, content_type: str) -> None:
        object_key = self._object_key(key)
        async with self._client() as s3:
            # Larger files go up in parts of PART_BYTES (a failed one is aborted, leaving nothing).
            await s3.upload_fileobj(
                _ThreadedReader(source), self.bucket, object_key, ExtraArgs={"ContentType": content_type}, Config=TRANSFER
            )

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        object_key = self._object_key(key)
        async with self._client() as s3:
            try:
                response = await s3.get_object(Bucket=self.bucket, Key=object_key)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in _MISSING:
                    raise FileNotFoundError(key) from None
                raise
            body = response["Body"]
            # Leaving early (a client that stops downloading) releases the response too.
            async with body:
                async for chunk in body.iter_chunks(CHUNK_BYTES):
                    yield chunk

    async def delete(self, key: str) -> None:
        object_key = self._object_key(key)
        # S3 answers 204 for an absent key too.
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=object_key)
