"""Files over real HTTP (the app through httpx's ASGI transport, a store in the test's
directory): the round trip, the size limit by header and while the body streams, the quota,
the allow-list by the bytes, the names in Content-Disposition, removal, attaching, and the
worker's sweep. Who may read which file, as every viewer: tests/test_file_access.py."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from tortoise.transactions import in_transaction

from clientela.accounts.viewer import viewer_for
from clientela.conversations.models import Message
from clientela.core import clock
from clientela.core.validation import file_name
from clientela.files import services
from clientela.files.models import FileDeletion, StoredFile
from clientela.files.routes import content_disposition
from clientela.files.storage import LocalStorage
from clientela.people.models import User
from clientela.settings import Settings
from clientela.tasks.models import Task
from files_support import CSV, HTML, SVG, docx, png
from support import operations_in
from test_contract_matrix import fingerprint

OPERATIONS = operations_in("files.graphql")


async def viewer_of(person):
    return await viewer_for(await User.get(id=person.user.id).select_related("workspace", "organization"))


async def attach(files, person, task, file_ids):
    variables = {"taskId": str(task.id), "fileIds": file_ids}
    return await files.api(OPERATIONS["AttachFilesToTask"], variables, token=person.token)


async def post(files, person, task, file_ids, visibility="PUBLIC"):
    variables = {"input": {"taskId": str(task.id), "body": "See attached.", "visibility": visibility, "fileIds": file_ids}}
    return await files.api(OPERATIONS["PostMessageWithFiles"], variables, token=person.token)


async def a_transaction():
    async with in_transaction():
        await StoredFile.all().count()


def error_code(response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_a_file_goes_up_is_attached_and_comes_down_as_it_went_up(files, world):
    response = await files.upload(world.staff.token, png(), "diagram.png")
    assert response.status_code == 201, response.text
    file_id = response.json()["id"]
    assert response.json() == {"id": file_id, "name": "diagram.png", "size": len(png()), "contentType": "image/png"}
    assert response.headers["location"] == f"/files/{file_id}"
    # Pending: its uploader's alone, admins included.
    assert (await files.download(world.staff.token, file_id)).status_code == 200
    assert (await files.download(world.admin.token, file_id)).status_code == 404

    [attached] = (await attach(files, world.staff, world.acme_task, [file_id])).ok()["attachFilesToTask"]["files"]
    assert attached | {"createdAt": None} == {
        "id": file_id,
        "name": "diagram.png",
        "size": len(png()),
        "contentType": "image/png",
        "createdAt": None,
        "url": f"/files/{file_id}",
        "uploadedBy": {"id": world.staff.id, "name": "Sam Staff"},
    }
    for person in (world.admin, world.csr, world.client):
        download = await files.download(person.token, file_id)
        assert (download.status_code, download.content) == (200, png())
        assert download.headers["content-type"] == "image/png"
        assert download.headers["content-length"] == str(len(png()))
        assert download.headers["content-disposition"] == "attachment; filename=\"diagram.png\"; filename*=UTF-8''diagram.png"
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-security-policy"] == "default-src 'none'; sandbox"
        assert download.headers["cache-control"] == "private, no-store"
    seen = (await files.api(OPERATIONS["TaskFiles"], {"id": str(world.acme_task.id)}, token=world.client.token)).ok()
    assert [f["name"] for f in seen["task"]["files"]] == ["diagram.png"]


async def test_outside_development_the_download_keeps_its_own_stricter_policy_beside_the_services(serve_files, world):
    files = await serve_files(development=False)
    file_id = await files.uploaded(world.staff.token, png())
    download = await files.download(world.staff.token, file_id)
    policies = download.headers.get_list("content-security-policy")
    assert policies[0] == "default-src 'none'; sandbox" and policies[1].startswith("default-src 'self'")
    assert "strict-transport-security" in download.headers


def _form(chunks, name="big.txt"):
    async def body():
        yield f'--B\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'.encode()
        for chunk in chunks:
            yield chunk
        yield b"\r\n--B--\r\n"

    return body()


class Counted:
    """Chunks of a body, counting how many the server asked for."""

    def __init__(self, count: int, size: int) -> None:
        self.count, self.size, self.read = count, size, 0

    def __iter__(self):
        for _ in range(self.count):
            self.read += 1
            yield b"a" * self.size


async def test_an_upload_over_the_limit_is_refused_by_its_length_before_its_body_is_read(serve_files, world):
    files = await serve_files(upload_max_bytes=1000)
    chunks = Counted(100, 1000)
    headers = {
        "Authorization": f"Bearer {world.staff.token}",
        "Content-Type": "multipart/form-data; boundary=B",
        "Content-Length": "100200",
    }
    response = await files.client.post("/files", content=_form(chunks), headers=headers)
    assert response.status_code == 413
    assert response.json()["errors"][0] == {
        "message": "The file is over the upload limit of 1000 bytes.",
        "extensions": {"code": "BAD_USER_INPUT"},
    }
    assert chunks.read == 0
    assert await StoredFile.all().count() == 0 and files.stored() == []


async def test_an_upload_over_the_limit_is_stopped_while_it_streams(serve_files, world):
    files = await serve_files(upload_max_bytes=1000)
    chunks = Counted(100, 1000)  # sent chunked: no length to go by
    headers = {"Authorization": f"Bearer {world.staff.token}", "Content-Type": "multipart/form-data; boundary=B"}
    response = await files.client.post("/files", content=_form(chunks), headers=headers)
    assert (response.status_code, error_code(response)) == (413, "BAD_USER_INPUT")
    assert chunks.read < 20  # the limit and the form's framing: the rest was never read
    assert await StoredFile.all().count() == 0 and files.stored() == []


async def test_a_file_one_byte_over_the_limit_is_refused_and_one_at_it_is_stored(serve_files, world):
    files = await serve_files(upload_max_bytes=1000)
    response = await files.upload(world.staff.token, b"a" * 1001, "over.txt")
    assert (response.status_code, error_code(response)) == (413, "BAD_USER_INPUT")
    assert (await files.upload(world.staff.token, b"a" * 1000, "at.txt")).status_code == 201
    assert len(files.stored()) == 1


async def test_a_workspace_keeps_files_up_to_its_quota_pending_ones_included(serve_files, world):
    files = await serve_files(workspace_storage_quota_bytes=100)
    first = await files.uploaded(world.staff.token, b"a" * 60, "first.txt")
    before = await fingerprint()
    refused = await files.upload(world.admin.token, b"b" * 60, "second.txt")
    assert (refused.status_code, error_code(refused)) == (400, "BAD_USER_INPUT")
    [error] = refused.json()["errors"]
    assert "storage quota of 100 bytes" in error["message"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "file", "limit": "storageQuota"}
    assert await fingerprint() == before and len(files.stored()) == 1
    # Another workspace has its own.
    assert (await files.upload(world.foreign_admin.token, b"c" * 60, "theirs.txt")).status_code == 201
    # Removing a file makes room.
    assert (await files.api(OPERATIONS["RemoveFile"], {"id": first}, token=world.staff.token)).ok() == {"removeFile": True}
    assert (await files.upload(world.admin.token, b"b" * 60, "second.txt")).status_code == 201


@pytest.mark.parametrize(
    "content, name",
    [
        (HTML, "report.png"),
        (SVG, "logo.png"),
        (b"<?xml version='1.0'?><data/>", "data.png"),
        (b"\xef\xbb\xbf \n\t<svg><script>alert(1)</script></svg>", "notes.txt"),
        (b"\x7fELF\x02\x01\x01" + bytes(200), "tool.pdf"),
        (b"MZ\x90\x00" + bytes(300), "setup.txt"),
        ("café".encode("latin-1"), "latin.txt"),
        (b"text\x00with a NUL", "nul.txt"),
        (b"", "empty.txt"),
    ],
)
async def test_what_the_bytes_show_decides_and_markup_or_unknown_bytes_are_refused(files, world, content, name):
    response = await files.upload(world.staff.token, content, name)
    assert (response.status_code, error_code(response)) == (400 if not content else 415, "BAD_USER_INPUT")
    assert await StoredFile.all().count() == 0 and files.stored() == []


@pytest.mark.parametrize(
    "content, name, content_type",
    [
        (png(), "evil.html", "image/png"),
        (CSV, "amounts.csv", "text/plain; charset=utf-8"),
        (b"BMW,2024\nID3,1\n", "cars.csv", "text/plain; charset=utf-8"),  # "BM" starts a bitmap's signature
        (docx(), "notes.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "contract.pdf", "application/pdf"),
        (b"\xff\xd8\xff\xe0" + bytes(100), "photo.jpg", "image/jpeg"),
    ],
)
async def test_allowed_files_are_stored_as_their_bytes_show_and_come_down_as_attachments(
    files, world, content, name, content_type
):
    response = await files.upload(world.staff.token, content, name)
    assert response.status_code == 201, response.text
    download = await files.download(world.staff.token, response.json()["id"])
    assert (download.content, download.headers["content-type"]) == (content, content_type)
    assert download.headers["content-disposition"].startswith(f'attachment; filename="{name}"')


def _disposition(header: str) -> tuple[str, str]:
    match = re.fullmatch(r"attachment; filename=\"([^\"\\\r\n]*)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]*)", header)
    assert match, header
    return match[1], unquote(match[2])


@pytest.mark.parametrize(
    "raw, shown, fallback",
    [
        ("../../etc/passwd", "passwd", "passwd"),
        ("C:\\Users\\me\\plan.txt", "plan.txt", "plan.txt"),
        ('say "hi".txt', 'say "hi".txt', "say _hi_.txt"),
        ("line\r\nX-Injected: 1\r\n.txt", "lineX-Injected: 1.txt", "lineX-Injected_ 1.txt"),
        ("отчёт 😀 Ñandú.pdf", "отчёт 😀 Ñandú.pdf", "_ _ Nandu.pdf"),
        ("\u202etxt.exe", "txt.exe", "txt.exe"),
        ("..", "file", "file"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf", "a" * 96 + ".pdf"),
    ],
)
def test_names_are_cleaned_to_show_and_encoded_into_content_disposition(raw, shown, fallback):
    assert file_name(raw) == shown
    assert _disposition(content_disposition(file_name(raw))) == (fallback, shown)


def test_content_disposition_carries_no_quote_nor_line_of_any_name():
    for name in ('a"b', "a\r\nb", "a\\b", "ä/ö", "\x00"):
        header = content_disposition(name)
        assert _disposition(header)[1] == name and "\r" not in header and "\n" not in header


async def test_the_uploaded_name_is_only_shown_and_comes_back_cleaned(files, world):
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="../../secret/\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82 \\"Q1\\".txt"'
        b"\r\n\r\nplain words\r\n--B--\r\n"
    )
    headers = {"Authorization": f"Bearer {world.staff.token}", "Content-Type": "multipart/form-data; boundary=B"}
    response = await files.client.post("/files", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == 'отчёт "Q1".txt'
    stored = await StoredFile.get(id=response.json()["id"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", stored.storage_key)
    assert [p.name for p in files.stored()] == [stored.storage_key]
    download = await files.download(world.staff.token, response.json()["id"])
    assert _disposition(download.headers["content-disposition"]) == ("_ _Q1_.txt", 'отчёт "Q1".txt')


async def test_a_form_without_its_one_file_part_is_refused(files, world):
    headers = {"Authorization": f"Bearer {world.staff.token}"}
    for request in (
        {"data": {"file": "not a file"}},
        {"files": {"document": ("a.txt", b"words", "text/plain")}},
        {"files": [("file", ("a.txt", b"words", "text/plain")), ("file", ("b.txt", b"more", "text/plain"))]},
        {"json": {"file": "words"}},
    ):
        response = await files.client.post("/files", headers=headers, **request)
        assert (response.status_code, error_code(response)) == (400, "BAD_USER_INPUT"), request
    assert await StoredFile.all().count() == 0 and files.stored() == []


async def test_uploading_needs_a_session_and_is_no_part_of_a_preview(files, world):
    response = await files.upload(None, b"words", "a.txt")
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED")
    response = await files.upload(world.staff.token, b"words", "a.txt", Authorization="Bearer forged")
    assert (response.status_code, error_code(response)) == (401, "UNAUTHENTICATED")
    response = await files.upload(world.admin.token, b"words", "a.txt", **{"Clientela-View-As": world.client.id})
    assert (response.status_code, error_code(response)) == (403, "FORBIDDEN")
    # A consultant manages nothing: there is nowhere they could attach a file.
    response = await files.upload(world.consultant.token, b"words", "a.txt")
    assert (response.status_code, error_code(response)) == (403, "FORBIDDEN")
    assert await StoredFile.all().count() == 0 and files.stored() == []


async def test_a_file_removed_from_a_message_is_gone_for_clients_at_once_and_from_the_store(files, world):
    file_id = await files.uploaded(world.client.token, png(), "screenshot.png")
    message = (await post(files, world.client, world.acme_task, [file_id])).ok()["postMessage"]
    assert [f["id"] for f in message["files"]] == [file_id]
    assert (await files.download(world.client.token, file_id)).status_code == 200
    assert len(files.stored()) == 1

    assert (await files.api(OPERATIONS["RemoveFile"], {"id": file_id}, token=world.staff.token)).ok() == {"removeFile": True}
    for person in (world.client, world.staff, world.admin):
        assert (await files.download(person.token, file_id)).status_code == 404
    seen = (await files.api(OPERATIONS["TaskFiles"], {"id": str(world.acme_task.id)}, token=world.client.token)).ok()
    assert [m["files"] for m in seen["task"]["messages"] if m["id"] == message["id"]] == [[]]
    assert files.stored() == [] and await FileDeletion.all().count() == 0
    assert (await files.api(OPERATIONS["RemoveFile"], {"id": file_id}, token=world.staff.token)).code == "NOT_FOUND"


async def test_who_may_not_remove_a_file_changes_nothing(files, world):
    file_id = await files.uploaded(world.staff.token, png())
    (await attach(files, world.staff, world.acme_task, [file_id])).ok()
    before = await fingerprint()
    for person, code in (
        (world.client, "FORBIDDEN"),
        (world.consultant, "FORBIDDEN"),
        (world.other_client, "NOT_FOUND"),
        (world.outsider_staff, "NOT_FOUND"),
        (world.foreign_admin, "NOT_FOUND"),
    ):
        assert (await files.api(OPERATIONS["RemoveFile"], {"id": file_id}, token=person.token)).code == code, person
    assert await fingerprint() == before and len(files.stored()) == 1
    # The uploader may, and so may who manages the project (Acme's owner).
    assert (await files.api(OPERATIONS["RemoveFile"], {"id": file_id}, token=world.owner.token)).ok()


async def test_only_ones_own_pending_uploads_are_attached_and_refusals_change_nothing(files, world):
    theirs = await files.uploaded(world.admin.token, png(), "admins.png")
    mine = await files.uploaded(world.staff.token, png(), "mine.png")
    before = await fingerprint()
    assert (await attach(files, world.staff, world.acme_task, [mine, theirs])).code == "NOT_FOUND"
    assert (await post(files, world.staff, world.acme_task, [theirs])).code == "NOT_FOUND"
    assert (await attach(files, world.staff, world.acme_task, ["not-an-id"])).code == "NOT_FOUND"
    assert (await attach(files, world.staff, world.acme_task, [])).code == "BAD_USER_INPUT"
    assert await fingerprint() == before
    # Attached once, a file is attached: not again, not elsewhere.
    (await attach(files, world.staff, world.acme_task, [mine])).ok()
    before = await fingerprint()
    assert (await attach(files, world.staff, world.internal_task, [mine])).code == "BAD_USER_INPUT"
    assert (await post(files, world.staff, world.acme_task, [mine], "INTERNAL")).code == "BAD_USER_INPUT"
    assert await fingerprint() == before


async def test_a_task_and_a_message_take_a_bounded_number_of_files(files, world, monkeypatch):
    monkeypatch.setattr(services, "FILES_PER_TASK", 2)
    uploads = [await files.uploaded(world.staff.token, png()) for _ in range(3)]
    (await attach(files, world.staff, world.acme_task, uploads[:2])).ok()
    result = await attach(files, world.staff, world.acme_task, uploads[2:])
    assert (result.code, result.errors[0]["message"]) == ("BAD_USER_INPUT", "At most 2 files hang on one item.")
    eleven = [await files.uploaded(world.staff.token, png()) for _ in range(11)]
    messages = await Message.all().count()
    assert (await post(files, world.staff, world.acme_task, eleven)).code == "BAD_USER_INPUT"
    assert await Message.all().count() == messages and await StoredFile.filter(message_id__isnull=False).count() == 0


async def test_attaches_at_the_same_moment_never_pass_the_bound_together(files, world, monkeypatch):
    """On PostgreSQL both requests count at once unless the task's row is locked; SQLite runs one
    write transaction at a time."""
    monkeypatch.setattr(services, "FILES_PER_TASK", 2)
    first, *racing = [await files.uploaded(world.staff.token, png()) for _ in range(5)]
    (await attach(files, world.staff, world.acme_task, [first])).ok()
    staff = await viewer_of(world.staff)
    attachable = [await services.attachable(staff, [upload]) for upload in racing]
    # A pool with a connection open for each, so that neither waits for one to be made.
    await asyncio.gather(*(a_transaction() for _ in racing))
    results = await asyncio.gather(
        *(services.attach(upload, task=world.acme_task) for upload in attachable), return_exceptions=True
    )
    assert sorted(type(result).__name__ for result in results) == ["BadUserInput"] * 3 + ["NoneType"]
    assert await StoredFile.filter(task_id=world.acme_task.id).count() == 2


async def test_a_client_submits_an_item_with_files_and_attaches_nowhere_else(files, world):
    file_id = await files.uploaded(world.client.token, CSV, "list.csv")
    variables = {"input": {"projectId": str(world.acme_project.id), "title": "New page", "fileIds": [file_id]}}
    item = (await files.api(OPERATIONS["SubmitItemWithFiles"], variables, token=world.client.token)).ok()["submitItem"]
    assert [f["name"] for f in item["files"]] == ["list.csv"]
    assert (await files.download(world.staff.token, file_id)).status_code == 200

    other = await files.uploaded(world.client.token, CSV, "more.csv")
    staff_pending = await files.uploaded(world.staff.token, CSV)
    before = await fingerprint()
    assert (await attach(files, world.client, world.acme_task, [other])).code == "FORBIDDEN"
    variables["input"]["fileIds"] = [staff_pending]
    assert (await files.api(OPERATIONS["SubmitItemWithFiles"], variables, token=world.client.token)).code == "NOT_FOUND"
    assert await fingerprint() == before
    assert await Task.filter(title="New page").count() == 1


async def _pending(storage, person, content=b"words"):
    return await services.store_file(await viewer_of(person), io.BytesIO(content), "a.txt", storage, Settings())


async def test_the_sweep_deletes_uploads_left_pending_for_a_day_and_nothing_else(world, tmp_path):
    storage = LocalStorage(tmp_path)
    left = await _pending(storage, world.staff)
    fresh_later = clock.now() + timedelta(hours=23)
    attached = await _pending(storage, world.staff)
    await services.attach([attached], task=world.acme_task)
    assert await services.sweep(storage, now=fresh_later) == 0
    assert await services.sweep(storage, now=clock.now() + services.PENDING_FOR + timedelta(minutes=1)) == 1
    assert [f.id for f in await StoredFile.all()] == [attached.id]
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [attached.storage_key]
    assert left.storage_key not in {p.name for p in tmp_path.rglob("*")}


class FailingDeletes(LocalStorage):
    async def delete(self, key: str) -> None:
        raise OSError("the store is down")


async def test_bytes_the_store_failed_to_delete_are_deleted_by_a_later_sweep(world, tmp_path):
    storage = LocalStorage(tmp_path)
    file = await _pending(storage, world.staff)
    await services.remove_file(await viewer_of(world.staff), file.id, FailingDeletes(tmp_path))
    assert await StoredFile.all().count() == 0  # gone for everyone
    assert await FileDeletion.all().values_list("storage_key", flat=True) == [file.storage_key]
    assert await services.sweep(FailingDeletes(tmp_path)) == 0
    assert await services.sweep(storage) == 1
    assert await FileDeletion.all().count() == 0 and not [p for p in tmp_path.rglob("*") if p.is_file()]


async def test_a_store_that_fails_to_keep_the_bytes_leaves_no_file(world, tmp_path):
    class FailingPuts(LocalStorage):
        async def put(self, key, source, size, content_type):
            raise OSError("the disk is full")

    with pytest.raises(OSError):
        await _pending(FailingPuts(tmp_path), world.staff)
    assert await StoredFile.all().count() == 0 and await FileDeletion.all().count() == 0
