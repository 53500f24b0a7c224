"""The S3 path end to end, on moto's S3 server started by the run (tests/s3_server.py): the service
keeping its files in the bucket takes an upload, attaches it, serves it, emails it and removes
it over HTTP, the object going with it; and a reply by email keeps its attachment there."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from clientela.files.models import StoredFile
from clientela.mail.worker import deliver_due
from files_support import png
from inbound_support import emailed_to, reply
from s3_server import BUCKET, PREFIX, s3_store
from support import operations_in
from test_files_in_emails import attached

OPERATIONS = operations_in("files.graphql")


def object_of(s3_client, file: StoredFile) -> bytes:
    return s3_client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{file.storage_key}")["Body"].read()


async def test_upload_attach_download_email_and_remove_over_http_on_s3(s3_files, s3_client, world, smtp_server):
    file_id = await s3_files.uploaded(world.staff.token, png(), "diagram.png")
    file = await StoredFile.get(id=file_id)
    assert object_of(s3_client, file) == png()

    variables = {
        "input": {"taskId": str(world.acme_task.id), "body": "The diagram.", "visibility": "PUBLIC", "fileIds": [file_id]}
    }
    (await s3_files.api(OPERATIONS["PostMessageWithFiles"], variables, token=world.staff.token)).ok()
    download = await s3_files.download(world.client.token, file_id)
    assert (download.status_code, download.content, download.headers["content-type"]) == (200, png(), "image/png")
    # The email reads the bytes from the bucket as it leaves.
    await deliver_due(smtp_server.settings(), storage=s3_files.storage)
    [email] = smtp_server.messages
    assert attached(email) == {"diagram.png": png()}

    (await s3_files.api(OPERATIONS["RemoveFile"], {"id": file_id}, token=world.staff.token)).ok()
    assert (await s3_files.download(world.client.token, file_id)).status_code == 404
    with pytest.raises(ClientError) as missing:
        object_of(s3_client, file)
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"


async def test_a_reply_by_email_keeps_its_attachment_on_s3(api, world, serve_inbound, s3_settings, s3_client):
    inbound = await serve_inbound(s3_store(s3_settings))
    email = await emailed_to(inbound, api, world, world.client)
    answer = reply(email["Reply-To"], world.client.user.email, "The screenshot.", answers=email)
    answer.add_attachment(png(), maintype="image", subtype="png", filename="screenshot.png")
    assert (await inbound.send(answer))[0] == 250
    [file] = await StoredFile.filter(message__author_id=world.client.user.id)
    assert (file.name, file.content_type) == ("screenshot.png", "image/png")
    assert object_of(s3_client, file) == png()
