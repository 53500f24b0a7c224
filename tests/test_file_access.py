"""Who may read, attach and remove which file, as every kind of viewer: downloads over HTTP (404
for whatever the viewer may not read, exactly as for an id that does not exist), and the
operations of tests/operations/files.graphql the way tests/test_contract_matrix.py runs the
contract's (a refusal changes nothing)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from clientela.conversations.models import Message, MessageVisibility
from clientela.core.ids import uuid7
from clientela.files.models import StoredFile
from files_support import png
from support import add_partner_firms, operations_in
from test_contract_matrix import VIEWERS, fingerprint, table

OPERATIONS = operations_in("files.graphql")
UNAUTH = {"anonymous": "UNAUTHENTICATED"}

# Who reads what of Acme's project: everyone on the firm's side who reaches it, and its client.
READ_ACME = table(200, outsider_staff=404, other_client=404, foreign_admin=404, anonymous=401)
DOWNLOADS = {
    "task": READ_ACME,
    "public": READ_ACME,
    "internal": READ_ACME | {"client": 404},
    # Globex's project: admins, and Globex's own client; its staff are nobody here.
    "globex": table(404, admin=200, other_client=200, anonymous=401),
    "pending": table(404, staff=200, anonymous=401),
    "foreign": table(404, foreign_admin=200, anonymous=401),
}


async def files_of(world, files) -> SimpleNamespace:
    """One file in each place: on Acme's task, on its public and its internal message, on
    Globex's task, pending (the staff member's), and in the other workspace."""
    ids = {}
    public = await Message.get(task_id=world.acme_task.id, visibility=MessageVisibility.PUBLIC)
    internal = await Message.get(task_id=world.acme_task.id, visibility=MessageVisibility.INTERNAL)
    places = {
        "task": (world.staff, {"task_id": world.acme_task.id}),
        "public": (world.staff, {"message_id": public.id}),
        "internal": (world.staff, {"message_id": internal.id}),
        "globex": (world.admin, {"task_id": world.globex_task.id}),
        "pending": (world.staff, {}),
        "foreign": (world.foreign_admin, {}),
    }
    for place, (uploader, where) in places.items():
        ids[place] = await files.uploaded(uploader.token, png(), f"{place}.png")
        await StoredFile.filter(id=ids[place]).update(**where)
    return SimpleNamespace(**ids)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_a_file_is_read_by_who_reads_what_it_hangs_on(files, world, factory, viewer):
    await add_partner_firms(world, factory)
    placed = await files_of(world, files)
    me = None if viewer == "anonymous" else getattr(world, viewer)
    statuses = {place: (await files.download(me and me.token, getattr(placed, place))).status_code for place in DOWNLOADS}
    assert statuses == {place: outcomes[viewer] for place, outcomes in DOWNLOADS.items()}
    for missing in (str(uuid7()), "not-an-id"):
        assert (await files.download(me and me.token, missing)).status_code == (401 if me is None else 404)


async def test_refused_and_missing_files_answer_alike(files, world):
    placed = await files_of(world, files)
    refused = await files.download(world.client.token, placed.internal)
    missing = await files.download(world.client.token, str(uuid7()))
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json() == {"errors": [{"message": "File not found.", "extensions": {"code": "NOT_FOUND"}}]}


async def test_without_attachments_in_the_portal_a_client_sees_no_file_and_sends_none(files, world):
    placed = await files_of(world, files)
    fields = ["DESCRIPTION", "STATUS", "MESSAGES"]
    settings = {"input": {"visibleTaskFields": fields}}
    (await files.api("UpdatePortalSettings", settings, token=world.admin.token)).ok()
    for place in ("task", "public"):
        assert (await files.download(world.client.token, getattr(placed, place))).status_code == 404
        assert (await files.download(world.staff.token, getattr(placed, place))).status_code == 200
    seen = (await files.api(OPERATIONS["TaskFiles"], {"id": str(world.acme_task.id)}, token=world.client.token)).ok()
    assert seen["task"]["files"] is None and {m["files"] is None for m in seen["task"]["messages"]} == {True}
    upload = await files.upload(world.client.token, png())
    assert (upload.status_code, upload.json()["errors"][0]["extensions"]["code"]) == (403, "FORBIDDEN")
    own = await StoredFile.create(
        workspace_id=world.admin.user.workspace_id,
        uploaded_by_id=world.client.user.id,
        storage_key="k" * 43,
        name="old.png",
        content_type="image/png",
        size=1,
    )
    before = await fingerprint()
    reply = {"input": {"taskId": str(world.acme_task.id), "body": "Here", "visibility": "PUBLIC", "fileIds": [str(own.id)]}}
    assert (await files.api(OPERATIONS["PostMessageWithFiles"], reply, token=world.client.token)).code == "FORBIDDEN"
    assert await fingerprint() == before
    # Its messages hidden, a client reads no message's files even with ATTACHMENTS.
    settings["input"]["visibleTaskFields"] = ["DESCRIPTION", "ATTACHMENTS"]
    (await files.api("UpdatePortalSettings", settings, token=world.admin.token)).ok()
    assert (await files.download(world.client.token, placed.task)).status_code == 200
    assert (await files.download(world.client.token, placed.public)).status_code == 404


async def test_a_preview_downloads_what_the_client_would(files, world):
    placed = await files_of(world, files)
    preview = {"Clientela-View-As": world.client.id}
    assert (await files.download(world.admin.token, placed.task, **preview)).status_code == 200
    assert (await files.download(world.admin.token, placed.internal, **preview)).status_code == 404
    assert (await files.download(world.admin.token, placed.internal)).status_code == 200


async def test_a_client_reads_no_internal_file_through_graphql(files, world):
    await files_of(world, files)
    seen = (await files.api(OPERATIONS["TaskFiles"], {"id": str(world.acme_task.id)}, token=world.client.token)).ok()
    assert [f["name"] for f in seen["task"]["files"]] == ["task.png"]
    assert [[f["name"] for f in m["files"]] for m in seen["task"]["messages"]] == [["public.png"]]
    assert "internal.png" not in json.dumps(seen)
    seen = (await files.api(OPERATIONS["TaskFiles"], {"id": str(world.acme_task.id)}, token=world.staff.token)).ok()
    assert sorted(f["name"] for m in seen["task"]["messages"] for f in m["files"]) == ["internal.png", "public.png"]


async def own_pending(world, me) -> str:
    """A pending file of the viewer's own (its bytes are not needed to attach it)."""
    file = await StoredFile.create(
        workspace_id=me.user.workspace_id,
        uploaded_by_id=me.user.id,
        storage_key=uuid7().hex,
        name="mine.png",
        content_type="image/png",
        size=1,
    )
    return str(file.id)


MANAGE_ACME = table(
    "ok",
    outsider_staff="NOT_FOUND",
    other_client="NOT_FOUND",
    foreign_admin="NOT_FOUND",
    consultant="FORBIDDEN",
    client="FORBIDDEN",
    **UNAUTH,
)
MATRIX = {
    "TaskFiles": (lambda w, me, mine: {"id": str(w.acme_task.id)}, MANAGE_ACME | {"consultant": "ok", "client": "ok"}),
    "AttachFilesToTask": (lambda w, me, mine: {"taskId": str(w.acme_task.id), "fileIds": [mine]}, MANAGE_ACME),
    # A client replies publicly with files; the firm's side posts where it manages the project.
    "PostMessageWithFiles": (
        lambda w, me, mine: {"input": {"taskId": str(w.acme_task.id), "body": "Hi", "visibility": "PUBLIC", "fileIds": [mine]}},
        MANAGE_ACME | {"client": "ok"},
    ),
    "SubmitItemWithFiles": (
        lambda w, me, mine: {"input": {"projectId": str(w.acme_project.id), "title": "New", "fileIds": [mine]}},
        table("FORBIDDEN", client="ok", other_client="NOT_FOUND", **UNAUTH),
    ),
    # Staff's file on Acme's task: its uploader, and who manages the project.
    "RemoveFile": (lambda w, me, mine: {"id": w.task_file}, MANAGE_ACME),
}


def test_the_matrix_covers_every_file_operation():
    assert sorted(MATRIX) == sorted(OPERATIONS)


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("operation", sorted(MATRIX))
async def test_file_operation_as_viewer(files, world, factory, operation, viewer):
    await add_partner_firms(world, factory)
    world.task_file = (await files_of(world, files)).task
    me = None if viewer == "anonymous" else getattr(world, viewer)
    mine = await own_pending(world, me) if me else str(uuid7())
    variables_for, expected = MATRIX[operation]
    before = await fingerprint()
    result = await files.api(OPERATIONS[operation], variables_for(world, me, mine), token=me.token if me else None)
    outcome = result.code or "ok"
    assert outcome == expected[viewer], result.errors
    if outcome != "ok":
        assert await fingerprint() == before
