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
import logging
from collections.abc import AsyncIterator
from typing import BinaryIO

import aioboto3
from botocore.exceptions import ClientError

from clientela.files.storage import CHUNK_BYTES, checked_key

log = logging.getLogger(__name__)

# Larger files go up in parts of this size, one at a time, read while none is being sent: an
# upload holds about two parts whatever the file's size (tests/test_storage.py).
PART_BYTES = 8 * 1024 * 1024


def _read_part(source: BinaryIO) -> bytes | bytearray:
    """The next PART_BYTES of the source, fewer only at its end: a stream may return less than
    asked for before its end, and S3 refuses a part under 5 MiB but for the last."""
    part = source.read(PART_BYTES)
    if len(part) in (0, PART_BYTES):
        return part
    gathered = bytearray(part)
    while len(gathered) < PART_BYTES and (more := source.read(PART_BYTES - len(gathered))):
        gathered += more
    return gathered


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
        # Aborts under way, held so that the loop does not drop them (it keeps tasks weakly).
        self._aborting: set[asyncio.Task[None]] = set()

    def _object_key(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def _client(self):
        return self._session.client("s3", endpoint_url=self.endpoint_url)

    async def put(self, key: str, source: BinaryIO, size: int, content_type: str) -> None:
        # Not aioboto3's upload_fileobj: cancelled (a request's time limit), it leaves its
        # multipart upload and a task behind, and it keeps the first part for the whole upload.
        object_key = self._object_key(key)
        part = await asyncio.to_thread(_read_part, source)
        async with self._client() as s3:
            if len(part) < PART_BYTES:
                await s3.put_object(Bucket=self.bucket, Key=object_key, Body=part, ContentType=content_type)
                return
            upload = await s3.create_multipart_upload(Bucket=self.bucket, Key=object_key, ContentType=content_type)
            try:
                sent = []
                while part:
                    number = len(sent) + 1
                    answer = await s3.upload_part(
                        Bucket=self.bucket, Key=object_key, UploadId=upload["UploadId"], PartNumber=number, Body=part
                    )
                    sent.append({"ETag": answer["ETag"], "PartNumber": number})
                    part = await asyncio.to_thread(_read_part, source)
                await s3.complete_multipart_upload(
                    Bucket=self.bucket, Key=object_key, UploadId=upload["UploadId"], MultipartUpload={"Parts": sent}
                )
            except BaseException:
                await self._abort(object_key, upload["UploadId"])
                raise

    async def _abort(self, object_key: str, upload_id: str) -> None:
        """Drops the parts sent so far, which S3 would otherwise keep (and bill). On a client of
        its own, in a task of its own: a cancelled put may be cancelled again while it waits,
        and then closes its client."""

        async def abort() -> None:
            try:
                async with self._client() as s3:
                    await s3.abort_multipart_upload(Bucket=self.bucket, Key=object_key, UploadId=upload_id)
            except Exception:
                # The put's own error is the one to raise; a lifecycle rule on the bucket (README,
                # Storage) drops what is left.
                log.warning("Could not abort the multipart upload of %s", object_key, exc_info=True)

        task = asyncio.ensure_future(abort())
        self._aborting.add(task)
        task.add_done_callback(self._aborting.discard)
        await asyncio.shield(task)

    async def stream(self, key: str) -> AsyncIterator[bytes]:
        object_key = self._object_key(key)
        async with self._client() as s3:
            try:
                response = await s3.get_object(Bucket=self.bucket, Key=object_key)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "NoSuchKey":
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
