"""Files in tests: the service over ASGI with a store of the test's own (a directory, or the S3
bucket of moto's server) and settings it chooses, uploads and downloads over HTTP, and bytes of
each kind of file."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from clientela.app import create_app
from clientela.files.storage import LocalStorage, Storage
from clientela.settings import Settings
from s3_server import s3_store
from support import Api


def png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    )


def docx() -> bytes:
    """The start of a Word document as Word writes it: a ZIP whose first entries name it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("[Content_Types].xml", "_rels/.rels", "word/document.xml"):
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'
CSV = "name,amount\nÜmit,12.50\n".encode()


@dataclass
class Files:
    """The service with its own store (`storage`: in `directory`, unless it is an S3 bucket), and
    GraphQL (`api`) over the same client."""

    client: httpx.AsyncClient
    api: Api
    storage: Storage
    directory: Path | None

    async def upload(self, token: str | None, content: bytes, name: str = "file.bin", **headers: str) -> httpx.Response:
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        files = {"file": (name, content, "application/octet-stream")}
        return await self.client.post("/files", files=files, headers={**auth, **headers})

    async def uploaded(self, token: str, content: bytes, name: str = "file.bin") -> str:
        """The id of a file uploaded as the bearer of `token`."""
        response = await self.upload(token, content, name)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    async def download(self, token: str | None, file_id: str, **headers: str) -> httpx.Response:
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.client.get(f"/files/{file_id}", headers={**auth, **headers})

    def stored(self) -> list[Path]:
        """Every file the store's directory holds."""
        return sorted(p for p in self.directory.rglob("*") if p.is_file())


@pytest.fixture
async def serve_files(database, tmp_path) -> AsyncIterator:
    """`await serve_files(storage, **settings)`: the service with those settings and that
    store, by default one in the test's directory."""
    clients: list[httpx.AsyncClient] = []

    async def serve(storage: Storage | None = None, **settings: object) -> Files:
        directory = None if storage else tmp_path / f"store{len(clients)}"
        storage = storage or LocalStorage(directory)
        app = create_app(Settings(**settings), run_email_worker=False, manage_database=False, storage=storage)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        client = httpx.AsyncClient(transport=transport, base_url="http://clientela.test")
        clients.append(client)
        return Files(client=client, api=Api(client), storage=storage, directory=directory)

    yield serve
    for client in clients:
        await client.aclose()


@pytest.fixture
async def files(serve_files) -> Files:
    return await serve_files()


@pytest.fixture
async def s3_files(serve_files, s3_settings) -> Files:
    """The service keeping its files in the bucket of moto's S3 server (tests/s3_server.py)."""
    return await serve_files(s3_store(s3_settings))
