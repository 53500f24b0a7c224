"""The portal for people who use a screen reader, the keyboard alone, or a narrow phone, in Chromium:
axe-core finds no violation on any page at a desktop and a phone size, in English and Spanish;
nothing scrolls sideways at 320 px, whatever long words, addresses or file names a page shows; the
Spanish header fits on one line on a desktop; loading is shown and announced; and signing in,
replying and submitting an item work with Tab, Shift+Tab, Enter and Space alone, the focus where a
keyboard user expects it after each step (never on <body>), field errors tied to their fields.

A new page of the portal is checked by adding it to `portal_pages`."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx
from playwright.async_api import expect

from accessibility_support import AXE_CONTEXT, LOADED, PortalPage, check_pages, focused, sign_in, tab_to
from clientela.accounts import passwords
from clientela.conversations.models import Message, MessageVisibility
from clientela.organizations.models import Organization
from clientela.people.models import User
from files_support import png
from support import operations_in

FILE_OPERATIONS = operations_in("files.graphql")
DESKTOP = {"width": 1280, "height": 800}

# What a page must not widen at 320 px: a word, an address, a link and a file name, each long.
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen"
LONG_EMAIL = "bruno.with.a.rather.long.address@northwind-consulting-services.example"
LONG_URL = "https://files.northwind.example/shared/acme/website/" + "sketches-of-the-header-" * 3 + "v2.pdf"
LONG_FILE = "the-final-version-of-the-brief-for-the-home-page-redesign-approved-by-everyone.png"


@dataclass
class World:
    base: str
    tokens: dict[str, str]  # who signs in, by the keys PortalPage.person names
    ids: dict[str, str]


async def build_world(api, factory, base: str, language: str) -> World:
    """Northwind's staff, Acme's website project shared with Clara (a client), an item with long
    words, a conversation and files, and Elena, a client of Globex with nothing to see yet."""
    admin = await factory.workspace("Northwind", language=language)
    team = await Organization.get(id=admin.user.organization_id)
    bruno = await factory.person(admin, team, "Bruno Staff", email=LONG_EMAIL, language=language)
    acme = await factory.organization(admin, "Acme")
    globex = await factory.organization(admin, "Globex")
    clara = await factory.person(admin, acme, "Clara Client", email=LONG_EMAIL.replace("bruno", "clara"), language=language)
    elena = await factory.person(admin, globex, "Elena Empty", language=language)

    async def ok(operation, variables):
        return (await api(operation, variables, token=admin.token)).ok()

    website = (
        await ok(
            "CreateProject",
            {"input": {"name": "Acme website", "clientId": str(acme.id), "budget": "1500.00", "description": LONG_URL}},
        )
    )["createProject"]["id"]
    await ok("FollowProject", {"projectId": website, "userIds": [clara.id]})
    fields = {
        "status": "IN_PROGRESS",
        "priority": "HIGH",
        "dueDate": "2026-12-18",
        "labels": ["design", LONG_WORD],
        "assigneeId": bruno.id,
        "description": f"A calmer header for the {LONG_WORD}.\n\nThe sketches: {LONG_URL}",
    }
    item = (await ok("CreateTask", {"input": {"projectId": website, "title": f"Redesign the {LONG_WORD} page", **fields}}))[
        "createTask"
    ]["id"]
    await ok("CreateTask", {"input": {"projectId": website, "title": "Fix the contact form"}})
    await ok("PostMessage", {"input": {"taskId": item, "body": f"The sketches are ready: {LONG_URL}", "visibility": "PUBLIC"}})
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {admin.token}"}) as http:
        upload = await http.post("/files", files={"file": (LONG_FILE, png(), "image/png")})
        assert upload.status_code == 201, upload.text
        attached = await http.post(
            "/graphql",
            json={"query": FILE_OPERATIONS["AttachFilesToTask"], "variables": {"taskId": item, "fileIds": [upload.json()["id"]]}},
        )
        assert "errors" not in attached.json(), attached.json()
    assert await Message.filter(task_id=item, visibility=MessageVisibility.PUBLIC).count() == 1
    return World(
        base,
        tokens={"admin": admin.token, "client": clara.token, "empty client": elena.token},
        ids={"item": item, "project": website, "organization": str(acme.id), "client": clara.id},
    )


async def fail_operation(page, operation: str) -> None:
    """Make the API answer `operation` with an error the portal cannot explain (its error page)."""

    async def answer(route):
        if json.loads(route.request.post_data or "{}").get("operationName") == operation:
            body = {"errors": [{"message": "Unexpected", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}], "data": None}
            return await route.fulfill(status=200, json=body)
        await route.continue_()

    await page.route("**/graphql", answer)


def portal_pages(world: World) -> list[PortalPage]:
    """Every page of the portal (add new ones here)."""
    ids = world.ids
    return [
        PortalPage("sign-in", None, "/"),
        PortalPage("ask for a password link", None, "/set-password"),
        PortalPage("choose a password", None, "/set-password?token=some-token"),
        PortalPage("item list", "client", "/"),
        PortalPage("item list, filtered and ordered", "client", "/?status=open&order=due"),
        PortalPage("item list, nothing found", "client", "/?q=nothing-is-called-this&order=updated"),
        PortalPage("empty item list", "empty client", "/"),
        PortalPage("item with messages and files", "client", f"/items/{ids['item']}"),
        PortalPage("new item", "client", "/items/new"),
        PortalPage("new item without projects", "empty client", "/items/new"),
        PortalPage("organization", "admin", f"/organizations/{ids['organization']}"),
        PortalPage("project", "admin", f"/projects/{ids['project']}"),
        PortalPage("not found", "client", "/no/such/page"),
        PortalPage("error", "client", f"/items/{ids['item']}", prepare=lambda page: fail_operation(page, "PortalItem")),
        PortalPage("preview as a client", "admin", f"/?viewAs={ids['client']}"),
    ]


async def check_every_page(api, factory, live_server, browser, language: str, locale: str) -> None:
    world = await build_world(api, factory, live_server, language)
    context = await browser(locale, **AXE_CONTEXT)
    problems = await check_pages(context, live_server, portal_pages(world), world.tokens)
    assert not problems, "\n" + "\n".join(problems)


async def test_every_page_passes_axe_and_fits_320_px_in_english(api, factory, live_server, browser):
    await check_every_page(api, factory, live_server, browser, "en", "en-US")


async def test_every_page_passes_axe_and_fits_320_px_in_spanish(api, factory, live_server, browser):
    await check_every_page(api, factory, live_server, browser, "es", "es-ES")


async def header_on_a_desktop(browser, world: World, locale: str) -> dict:
    page = await (await browser(locale)).new_page()
    await page.set_viewport_size(DESKTOP)
    await sign_in(page, world.base, world.tokens["client"])
    await page.goto(world.base + "/")
    await page.wait_for_selector(LOADED)
    return await page.evaluate(
        """() => ({
            height: document.querySelector(".site-header").getBoundingClientRect().height,
            lines: new Set([...document.querySelectorAll(".brand, #nav li, #nav .who, #nav button")]
                .map((e) => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))).size,
        })"""
    )


async def test_the_spanish_header_stays_on_one_line_on_a_desktop(api, factory, live_server, browser):
    english = await header_on_a_desktop(browser, await build_world(api, factory, live_server, "en"), "en-US")
    spanish = await header_on_a_desktop(browser, await build_world(api, factory, live_server, "es"), "es-ES")
    assert english["lines"] == 1 and spanish["lines"] == 1, (english, spanish)
    assert spanish["height"] == english["height"]


async def test_a_slow_page_says_it_is_loading_and_main_is_busy(api, factory, live_server, browser):
    world = await build_world(api, factory, live_server, "es")
    page = await (await browser("es-ES")).new_page()
    await sign_in(page, live_server, world.tokens["client"])
    answered = asyncio.Event()

    async def slow_item(route):
        if json.loads(route.request.post_data or "{}").get("operationName") == "PortalItem":
            await answered.wait()
        await route.continue_()

    await page.route("**/graphql", slow_item)
    await page.goto(f"{live_server}/items/{world.ids['item']}")
    status = page.get_by_role("status").filter(has_text="Cargando…")
    await expect(status).to_be_visible()
    await expect(page.locator("main")).to_have_attribute("aria-busy", "true")
    answered.set()
    await page.wait_for_selector(LOADED)
    await expect(status).to_have_count(0)
    await expect(page.locator("#loading-status")).to_have_text("")


# --- the keyboard alone ---------------------------------------------------------------------------


async def expect_focus(page, description: str, selector: str) -> None:
    """The focus is (or lands, once the page has answered) on `selector`."""
    await expect(page.locator(selector)).to_be_focused()
    assert await focused(page) != "body", description


async def test_signing_in_replying_and_submitting_with_the_keyboard_alone(api, factory, live_server, browser):
    await build_world(api, factory, live_server, "en")
    page = await (await browser("en-US")).new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(live_server + "/")
    await page.wait_for_selector(LOADED)

    # Signing in: an address the browser finds invalid first.
    clara = await User.get(name="Clara Client")
    await User.filter(id=clara.id).update(password_hash=await passwords.hash_password("clara's own secret"))
    await tab_to(page, "input[name=email]")
    await page.keyboard.type("not-an-address")
    await tab_to(page, "input[name=password]")
    await page.keyboard.type("clara's own secret")
    await page.keyboard.press("Enter")
    email = page.locator("input[name=email]")
    await expect_focus(page, "a field the browser finds invalid", "input[name=email]")
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(f"#{await email.get_attribute('aria-errormessage')}")).to_have_text(
        "Please enter a valid email address."
    )
    assert (await email.get_attribute("aria-errormessage")) in (await email.get_attribute("aria-describedby")).split()
    await page.keyboard.press("Control+A")
    await page.keyboard.type(clara.email)
    await tab_to(page, "button[type=submit]")
    await page.keyboard.press("Space")
    await expect_focus(page, "the heading of the list, signed in", "h1:text('Your items')")
    await expect(email).to_have_count(0)

    # Replying: to the item, from the list.
    await tab_to(page, "main .cards a:text('Redesign')")
    await page.keyboard.press("Enter")
    await expect_focus(page, "the item's heading", "h1:text('Redesign')")
    await tab_to(page, "textarea[name=body]")
    await page.keyboard.type("Thanks\u0007 for the sketches!")  # a control character: the API refuses it
    await tab_to(page, "button:text('Send reply')")
    await page.keyboard.press("Enter")
    body = page.locator("textarea[name=body]")
    await expect_focus(page, "the reply the API refused", "textarea[name=body]")
    await expect(body).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("alert").filter(has_text="Please write a message.")).to_be_visible()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("Thanks for the sketches!")
    await tab_to(page, "button:text('Send reply')")
    await page.keyboard.press("Enter")
    await expect_focus(page, "the reply, now in the conversation", ".messages [data-message]:has-text('Thanks for the sketches!')")
    await expect(page.get_by_role("status").filter(has_text="Your reply was sent.")).to_be_visible()
    await expect(body).not_to_have_attribute("aria-invalid", "true")
    await page.locator(".messages").get_by_text("Thanks for the sketches!").wait_for()

    # Submitting a new item: from the navigation, back up the page with Shift+Tab.
    await tab_to(page, "#nav a:text('New item')", backwards=True)
    await page.keyboard.press("Enter")
    await expect_focus(page, "the new item's form heading", "h1:text('Submit a new item')")
    await tab_to(page, "button:text('Submit item')")
    await page.keyboard.press("Enter")
    title = page.locator("input[name=title]")
    await expect_focus(page, "the title, missing", "input[name=title]")
    await expect(title).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("alert").filter(has_text="Please fill in this field.")).to_be_visible()
    await page.keyboard.type("A careers page")
    await tab_to(page, "button:text('Submit item')")
    await page.keyboard.press("Space")
    await expect_focus(page, "the new item's heading", "h1:text('A careers page')")
    await expect(page.get_by_role("status").filter(has_text="Your item was submitted.")).to_be_visible()
    assert problems == []


async def test_showing_more_items_moves_the_focus_to_the_first_one_added(api, factory, live_server, browser):
    world = await build_world(api, factory, live_server, "en")
    admin_token = world.tokens["admin"]
    for number in range(9):  # eleven in all: one more than a page
        created = await api(
            "CreateTask", {"input": {"projectId": world.ids["project"], "title": f"Item {number}"}}, token=admin_token
        )
        created.ok()
    page = await (await browser("en-US")).new_page()
    await sign_in(page, live_server, world.tokens["client"])
    await page.goto(live_server + "/")
    await page.wait_for_selector(LOADED)
    await tab_to(page, "button:text('Show more items')")
    await page.keyboard.press("Enter")
    await expect_focus(page, "the first item added", "main .cards li:nth-child(11) a")
    await expect(page.get_by_role("button", name="Show more items")).to_be_hidden()
