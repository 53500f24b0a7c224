"""Files in the client portal web app, end to end in Chromium: a client sees an item's files and
its messages' files, downloads one back, attaches files to a reply and to a new item, is told
next to the control why a file is refused, and sees no file and no file control where the portal
settings do not list ATTACHMENTS. The service runs with an upload limit of 64 KiB, so that a
file over it is small."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.async_api import expect

from clientela.conversations.models import Message, MessageVisibility
from clientela.files.models import StoredFile
from clientela.settings import Settings
from clientela.tasks.models import Task
from files_support import HTML, png
from support import operations_in

OPERATIONS = operations_in("files.graphql")
UPLOAD_LIMIT = 64 * 1024
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def place_files(base: str, world) -> None:
    """As the staff member: a brief on Acme's item, and a PDF on its public message."""
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {world.staff.token}"}) as http:

        async def uploaded(name: str, content: bytes) -> str:
            response = await http.post("/files", files={"file": (name, content, "application/octet-stream")})
            assert response.status_code == 201, response.text
            return response.json()["id"]

        async def graphql(operation: str, variables: dict) -> None:
            response = await http.post("/graphql", json={"query": OPERATIONS[operation], "variables": variables})
            assert "errors" not in response.json(), response.json()

        brief = await uploaded("brief.png", png())
        await graphql("AttachFilesToTask", {"taskId": str(world.acme_task.id), "fileIds": [brief]})
        public = await Message.get(task_id=world.acme_task.id, visibility=MessageVisibility.PUBLIC)
        plan = await uploaded("plan.pdf", PDF)
        await StoredFile.filter(id=plan).update(message_id=public.id)
        internal = await Message.get(task_id=world.acme_task.id, visibility=MessageVisibility.INTERNAL)
        notes = await uploaded("internal-notes.pdf", PDF)
        await StoredFile.filter(id=notes).update(message_id=internal.id)


async def signed_in(browser, base: str, person, path: str):
    page = await (await browser("en-US", accept_downloads=True)).new_page()
    await page.goto(base + "/set-password")
    await page.evaluate("token => sessionStorage.setItem('clientela.token', token)", person.token)
    await page.goto(base + path)
    return page


async def test_a_client_downloads_files_and_attaches_them_to_a_reply_and_a_new_item(world, serve_live, browser, tmp_path):
    base = await serve_live(Settings(upload_max_bytes=UPLOAD_LIMIT))
    await place_files(base, world)
    page = await signed_in(browser, base, world.client, f"/items/{world.acme_task.id}")
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # The item's files and its public message's, each with its type and size.
    await page.get_by_role("heading", level=1, name="Acme home page").wait_for()
    files = page.get_by_role("region", name="Files")
    await expect(files.get_by_role("listitem")).to_have_text([re.compile(r"^Download brief\.png PNG · \d+ byte")])
    messages = page.locator(".messages")
    await expect(messages.get_by_role("button", name="Download plan.pdf")).to_be_visible()
    await expect(messages).to_contain_text(f"PDF · {len(PDF)} byte")
    assert await page.get_by_text("internal-notes.pdf").count() == 0

    # A PNG attached to a reply, sent, listed on the reply, and downloaded back byte for byte.
    picture = png()
    attach = page.get_by_label("Attach files")
    await attach.set_input_files({"name": "diagram.png", "mimeType": "image/png", "buffer": picture})
    await page.get_by_role("status").filter(has_text="Uploaded diagram.png.").wait_for()
    await page.get_by_label("Your reply").fill("The diagram, as promised.")
    await page.get_by_role("button", name="Send reply").click()
    await page.get_by_text("Your reply was sent.").wait_for()
    reply = messages.locator(".message").filter(has_text="The diagram, as promised.")
    download_button = reply.get_by_role("button", name="Download diagram.png")
    await download_button.wait_for()
    async with page.expect_download() as downloading:
        await download_button.click()
    download = await downloading.value
    assert download.suggested_filename == "diagram.png"
    assert Path(await download.path()).read_bytes() == picture
    sent = await Message.get(body="The diagram, as promised.")
    assert [f.name for f in await StoredFile.filter(message_id=sent.id)] == ["diagram.png"]
    assert await page.locator("form .files li").count() == 0  # the form is ready for the next reply

    # Refusals are said next to the control, which they describe, and the reply goes without them.
    await attach.set_input_files({"name": "page.html", "mimeType": "text/html", "buffer": HTML})
    refused = re.compile(r"page\.html cannot be attached: only images")
    await expect(page.get_by_role("alert")).to_have_text(refused)
    await expect(attach).to_have_attribute("aria-invalid", "true")
    await expect(attach).to_have_accessible_description(refused)
    for size in (UPLOAD_LIMIT + 1, 3 * UPLOAD_LIMIT):  # refused by the store; by its length, before it is read
        await attach.set_input_files({"name": f"{size}.txt", "mimeType": "text/plain", "buffer": b"a" * size})
        await expect(attach).to_have_accessible_description(re.compile(rf"{size}\.txt is too large to upload\."))
    await attach.set_input_files({"name": "empty.txt", "mimeType": "text/plain", "buffer": b""})
    await expect(attach).to_have_accessible_description(re.compile(r"empty\.txt is empty\."))

    # A file chosen and taken off again, with the keyboard, is not attached.
    await attach.set_input_files({"name": "draft.txt", "mimeType": "text/plain", "buffer": b"first draft\n"})
    await expect(attach).not_to_have_attribute("aria-invalid", "true")
    remove = page.get_by_role("button", name="Remove draft.txt")
    await remove.focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("status").filter(has_text="Removed draft.txt.").wait_for()
    await expect(attach).to_be_focused()
    await page.get_by_label("Your reply").fill("No attachment this time.")
    await page.get_by_role("button", name="Send reply").click()
    await messages.get_by_text("No attachment this time.").wait_for()
    plain = await Message.get(body="No attachment this time.")
    assert await StoredFile.filter(message_id=plain.id).count() == 0

    # A new item with a file.
    await page.get_by_role("navigation").get_by_role("link", name="New item").click()
    await page.get_by_role("heading", level=1, name="Submit a new item").wait_for()
    await page.get_by_label("Title").fill("Wrong colours on the logo")
    await page.get_by_label("Attach files").set_input_files(
        {"name": "colours.csv", "mimeType": "text/csv", "buffer": b"name,hex\nblue,#0b5cad\n"}
    )
    await page.get_by_role("status").filter(has_text="Uploaded colours.csv.").wait_for()
    await page.get_by_role("button", name="Submit item").click()
    await page.get_by_role("heading", level=1, name="Wrong colours on the logo").wait_for()
    await expect(page.get_by_role("region", name="Files").get_by_role("listitem")).to_have_text(
        [re.compile(r"^Download colours\.csv Text · 22 byte")]
    )
    item = await Task.get(title="Wrong colours on the logo")
    assert [f.name for f in await StoredFile.filter(task_id=item.id)] == ["colours.csv"]
    assert problems == []


async def test_without_attachments_in_the_portal_settings_a_client_sees_no_file_and_no_control(world, api, serve_live, browser):
    base = await serve_live()
    await place_files(base, world)
    settings = {"visibleTaskFields": ["STATUS", "MESSAGES"], "canSubmitItems": True, "canPostMessages": True}
    (await api("UpdatePortalSettings", {"input": settings}, token=world.admin.token)).ok()
    page = await signed_in(browser, base, world.client, f"/items/{world.acme_task.id}")
    asked = []
    page.on("request", lambda request: asked.append((urlsplit(request.url).path, request.post_data or "")))

    await page.get_by_role("heading", level=1, name="Acme home page").wait_for()
    await page.locator(".messages").wait_for()
    await page.get_by_label("Your reply").wait_for()
    assert await page.get_by_role("region", name="Files").count() == 0
    assert await page.get_by_role("button", name=re.compile("^Download")).count() == 0
    assert await page.locator("input[type=file]").count() == 0
    await page.goto(base + "/items/new")
    await page.get_by_role("heading", level=1, name="Submit a new item").wait_for()
    await page.get_by_label("Title").wait_for()
    assert await page.locator("input[type=file]").count() == 0
    assert not [path for path, body in asked if path.startswith("/files") or "TaskFiles" in body]


async def test_a_preview_lists_the_clients_files_with_the_controls_disabled(world, serve_live, browser):
    base = await serve_live()
    await place_files(base, world)
    page = await signed_in(browser, base, world.admin, f"/?viewAs={world.client.id}")
    await page.get_by_role("heading", level=1, name="Your items").wait_for()
    await page.goto(f"{base}/items/{world.acme_task.id}")
    await page.get_by_role("heading", level=1, name="Acme home page").wait_for()
    await page.get_by_role("button", name="Download plan.pdf").wait_for()
    assert await page.get_by_text("internal-notes.pdf").count() == 0  # as the client sees it
    assert await page.get_by_label("Attach files").is_disabled()
    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Download brief.png").click()
    assert Path(await (await downloading.value).path()).read_bytes() == png()
