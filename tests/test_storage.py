"""The file stores keep one contract: the local directory and an S3 bucket (moto's server, see
tests/s3_server.py) alike. The S3 store's own promises follow: parts, the key prefix, memory
that does not grow with the file, and the settings that choose it."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import secrets
import threading
import tracemalloc

import pytest
from botocore.exceptions import ClientError

from clientela.files.s3 import PART_BYTES, S3Storage
from clientela.files.storage import CHUNK_BYTES, LocalStorage, storage_from_settings
from clientela.settings import Settings
from s3_server import s3_store

MIB = 1024 * 1024


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    # Asked for here, so that the local half runs without starting the S3 server.
    return s3_store(request.getfixturevalue("s3_settings"))


@pytest.fixture
def s3(s3_settings) -> S3Storage:
    return s3_store(s3_settings)


def new_key() -> str:
    return secrets.token_urlsafe(24)


class RecordingFile:
    """A file that remembers how much each read asked for."""

    def __init__(self, data: bytes) -> None:
        self._file = io.BytesIO(data)
        self.reads: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(size)
        return self._file.read(size)


class TricklingFile(RecordingFile):
    """Returns at most 1 MiB a read, as a pipe or a socket may, whatever was asked for."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(MIB if size is None or size < 0 else min(size, MIB))


class GeneratedFile:
    """`size` bytes made up as they are read, so that the test holds none of them; `digest`
    is the SHA-256 of what was read."""

    SHIFTS = 4099
    BLOCK = os.urandom(PART_BYTES + SHIFTS)

    def __init__(self, size: int) -> None:
        self.left = size
        self._hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        # Where a read starts in BLOCK follows the position, so that parts sent out of order,
        # twice or not at all change the digest. Reads up to a part are served in full, as a
        # file's are.
        start = self.left % self.SHIFTS
        data = self.BLOCK[start : start + size]
        self.left -= len(data)
        self._hash.update(data)
        return data

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()


class FailingFile:
    """Gives `good` bytes, then fails as a broken disk or a dropped upload would."""

    def __init__(self, good: int) -> None:
        self._file = io.BytesIO(os.urandom(good))

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        if not data:
            raise OSError("the source broke")
        return data


class GatedFile:
    """One part of bytes, then a read that waits (in put's thread) until `release` is set;
    `waiting` is set, in the test's loop, when that read begins."""

    def __init__(self) -> None:
        self._file = io.BytesIO(os.urandom(PART_BYTES))
        self._loop = asyncio.get_running_loop()
        self.waiting = asyncio.Event()
        self.release = threading.Event()

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        if not data:
            self._loop.call_soon_threadsafe(self.waiting.set)
            self.release.wait()
        return data


async def read_all(store, key: str) -> bytes:
    chunks = [chunk async for chunk in store.stream(key)]
    assert all(0 < len(chunk) <= CHUNK_BYTES for chunk in chunks)
    return b"".join(chunks)


@pytest.mark.parametrize("size", [0, 1000, 2 * PART_BYTES + 1], ids=["empty", "small", "three-parts"])
async def test_what_is_put_streams_back(store, size):
    data = os.urandom(size)
    key = new_key()
    await store.put(key, io.BytesIO(data), size, "application/octet-stream")

    assert await read_all(store, key) == data


async def test_a_source_that_returns_less_than_asked_is_read_to_its_end(store):
    data = os.urandom(2 * PART_BYTES + 1)
    key = new_key()
    await store.put(key, TricklingFile(data), len(data), "application/octet-stream")

    assert await read_all(store, key) == data


async def test_put_reads_the_source_in_bounded_chunks(store):
    source = RecordingFile(os.urandom(3 * PART_BYTES))
    await store.put(new_key(), source, 3 * PART_BYTES, "application/octet-stream")

    assert source.reads and all(size is not None and 0 < size <= PART_BYTES for size in source.reads)


async def test_streaming_a_missing_key_raises_file_not_found(store):
    with pytest.raises(FileNotFoundError):
        await read_all(store, new_key())


async def test_deleting_twice_is_fine_and_leaves_nothing(store):
    key = new_key()
    await store.put(key, io.BytesIO(b"bytes"), 5, "text/plain")
    await store.delete(key)
    await store.delete(key)

    with pytest.raises(FileNotFoundError):
        await read_all(store, key)


async def test_a_failed_put_leaves_the_key_absent(store):
    key = new_key()
    with pytest.raises(OSError, match="the source broke"):
        await store.put(key, FailingFile(PART_BYTES + MIB), 2 * PART_BYTES, "application/octet-stream")

    with pytest.raises(FileNotFoundError):
        await read_all(store, key)


@pytest.mark.parametrize("key", ["../../etc/passwd", "short", "a" * 129, "with/a/slash/0123456789", "dots..in.the.key.01"])
async def test_keys_outside_the_alphabet_are_refused(store, key):
    with pytest.raises(ValueError):
        await store.put(key, io.BytesIO(b"x"), 1, "text/plain")
    with pytest.raises(ValueError):
        await read_all(store, key)
    with pytest.raises(ValueError):
        await store.delete(key)


async def test_a_large_file_goes_up_in_parts_with_its_content_type_under_the_prefix(s3, s3_settings, s3_client):
    key = new_key()
    await s3.put(key, io.BytesIO(os.urandom(2 * PART_BYTES + 1)), 2 * PART_BYTES + 1, "application/pdf")

    stored = s3_client.head_object(Bucket=s3_settings["CLIENTELA_S3_BUCKET"], Key=f"{s3_settings['CLIENTELA_S3_PREFIX']}/{key}")
    # A multipart object's ETag ends with its number of parts.
    assert stored["ETag"].strip('"').endswith("-3")
    assert stored["ContentType"] == "application/pdf"
    assert stored["ContentLength"] == 2 * PART_BYTES + 1


def uploads_under_way(s3_settings, s3_client, key: str) -> list:
    bucket, prefix = s3_settings["CLIENTELA_S3_BUCKET"], s3_settings["CLIENTELA_S3_PREFIX"]
    return s3_client.list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/{key}").get("Uploads", [])


async def test_a_failed_large_put_leaves_no_parts_behind(s3, s3_settings, s3_client):
    key = new_key()
    with pytest.raises(OSError):
        await s3.put(key, FailingFile(PART_BYTES + MIB), 2 * PART_BYTES, "application/octet-stream")

    assert uploads_under_way(s3_settings, s3_client, key) == []


async def test_a_cancelled_large_put_leaves_nothing_behind(s3, s3_settings, s3_client):
    key, source = new_key(), GatedFile()
    put = asyncio.create_task(s3.put(key, source, 2 * PART_BYTES, "application/octet-stream"))
    try:
        # The first part is sent, the second is being read: a request's time limit strikes.
        await source.waiting.wait()
        assert len(uploads_under_way(s3_settings, s3_client, key)) == 1
        put.cancel()
        with pytest.raises(asyncio.CancelledError):
            await put
    finally:
        source.release.set()

    assert uploads_under_way(s3_settings, s3_client, key) == []
    with pytest.raises(FileNotFoundError):
        await read_all(s3, key)


async def traced_peak(run) -> int:
    """The most memory Python held while `run()` ran, above what it held before."""
    tracemalloc.start()
    try:
        await run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_memory_does_not_grow_with_the_file(s3):
    # The first upload of a store also loads botocore's models, which is not the file's memory.
    await s3.put(new_key(), GeneratedFile(PART_BYTES + 1), PART_BYTES + 1, "application/octet-stream")
    key, source = new_key(), GeneratedFile(12 * PART_BYTES)
    put_peak = await traced_peak(lambda: s3.put(key, source, 12 * PART_BYTES, "application/octet-stream"))

    streamed = hashlib.sha256()

    async def stream():
        async for chunk in s3.stream(key):
            streamed.update(chunk)

    stream_peak = await traced_peak(stream)

    assert streamed.hexdigest() == source.digest
    # About two parts (files/s3.py) of the file's twelve.
    assert put_peak < 3 * PART_BYTES
    assert stream_peak < PART_BYTES


async def test_a_missing_bucket_is_an_error_not_a_missing_file(s3_settings):
    store = s3_store(s3_settings, bucket="no-such-bucket")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        await read_all(store, new_key())


async def test_the_settings_choose_the_s3_store_when_a_bucket_is_set(monkeypatch, s3_settings, s3_client):
    for name, value in s3_settings.items():
        monkeypatch.setenv(name, value)
    store = storage_from_settings(Settings(_env_file=None))
    assert isinstance(store, S3Storage)

    key = new_key()
    await store.put(key, io.BytesIO(b"through the settings"), 20, "text/plain")
    stored = s3_client.get_object(Bucket=s3_settings["CLIENTELA_S3_BUCKET"], Key=f"{s3_settings['CLIENTELA_S3_PREFIX']}/{key}")
    assert stored["Body"].read() == b"through the settings"


def files_under(directory) -> list[str]:
    return sorted(path.name for path in directory.rglob("*") if path.is_file())


async def test_a_failed_local_put_leaves_no_partial_file(tmp_path):
    local = LocalStorage(tmp_path / "files")
    with pytest.raises(OSError, match="the source broke"):
        await local.put(new_key(), FailingFile(MIB), 2 * MIB, "application/octet-stream")

    assert files_under(tmp_path) == []


async def test_a_cancelled_local_put_leaves_nothing_behind_once_its_thread_is_done(tmp_path):
    local, source = LocalStorage(tmp_path / "files"), GatedFile()
    put = asyncio.create_task(local.put(new_key(), source, 2 * PART_BYTES, "application/octet-stream"))
    await source.waiting.wait()
    put.cancel()
    await asyncio.sleep(0)
    source.release.set()
    with pytest.raises(asyncio.CancelledError):
        await put

    assert files_under(tmp_path) == []
