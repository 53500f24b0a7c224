"""The client portal web app (backend/clientela/web/static/), end to end in a real browser.

Playwright for Python drives Debian's Chromium (/usr/bin/chromium, installed by scripts/test.sh)
against the service running under uvicorn in the test's own event loop, on the test database.
Emails come from the test SMTP server; their links are rendered when an email is queued, from
CLIENTELA_PUBLIC_URL (http://clientela.test in the tests), so the test rewrites that prefix to
the live server's address before following a link.

The screenshot of the item list in the README (docs/portal-items.png) is written by this test
when the file is missing or CLIENTELA_UPDATE_SCREENSHOTS=1 is set."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from graphql import parse, print_ast

from clientela.automations import engine as automations
from clientela.conversations.models import Message, MessageVisibility
from clientela.mail.worker import deliver_due
from clientela.tasks.models import Task, TaskRequester
from support import CONTRACT, operations_in

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "backend" / "clientela" / "web" / "static"
SCREENSHOT = ROOT / "docs" / "portal-items.png"
EMAIL_BASE = "http://clientela.test"


# --- without a browser: the operations the app sends, and how the server answers its paths ------


def documents_in(module: str) -> dict[str, str]:
    """The GraphQL documents of one of the app's modules, by name (`  Name: `…`,` entries)."""
    return dict(re.findall(r"^  (\w+): `(.*?)`,$", (STATIC / "app" / module).read_text(), flags=re.M | re.S))


def test_the_portal_sends_the_contract_operations_verbatim():
    operations = documents_in("operations.js")
    assert len(operations) >= 13
    contract_text = "\n".join(p.read_text() for p in (ROOT / "tests" / "contract").glob("*.graphql"))
    for name, text in operations.items():
        assert text in contract_text, f"{name} is not copied verbatim from the contract"
        assert print_ast(parse(text).definitions[0]) == CONTRACT[name]
    used = set(re.findall(r'request\("(\w+)"', "".join(p.read_text() for p in (STATIC / "app").glob("*.js"))))
    sent = set(operations)
    for module in ("file-operations.js", "session-operations.js", "portal-operations.js"):
        sent |= set(documents_in(module))
    assert used <= sent, used - sent


def test_the_portals_documents_about_files_are_those_the_file_access_tests_run():
    """The contract has no files yet: the portal sends tests/operations/files.graphql's documents,
    which tests/test_file_access.py runs as every kind of viewer, with its fragment."""
    source = (STATIC / "app" / "file-operations.js").read_text()
    documents = documents_in("file-operations.js")
    assert set(documents) == {"TaskFiles", "PostMessageWithFiles", "SubmitItemWithFiles", "RemoveFile"}
    [fragments] = re.findall(r"^const FRAGMENTS = `(.*?)`;$", source, flags=re.M | re.S)
    file_text = (ROOT / "tests" / "operations" / "files.graphql").read_text()
    expected = operations_in("files.graphql")
    for name, text in documents.items():
        assert text in file_text, f"{name} is not copied verbatim from tests/operations/files.graphql"
        sent = f"{text}\n{fragments}" if "..." in text else text
        assert print_ast(parse(sent)) == print_ast(parse(expected[name])), name
    assert fragments in file_text


def test_the_portal_has_every_word_in_each_of_its_languages():
    source = (STATIC / "app" / "i18n.js").read_text()
    blocks = dict(re.findall(r"^  (\w\w): \{\n(.*?)^  \},$", source, flags=re.M | re.S))
    keys = {language: re.findall(r"^    (\w+): ", block, flags=re.M) for language, block in blocks.items()}
    assert set(keys) == {"en", "es", "pt", "ru"}
    for language, words in keys.items():
        assert words == keys["en"], language


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/items",
        "/items/new",
        "/items/0190-abc",
        "/set-password?token=abc",
        "/projects/42",
        "/organizations/7",
        "/projects/42?task=9",
    ],
)
async def test_every_page_path_of_the_portal_answers_with_the_app(api, path):
    response = await api.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/app/main.js">' in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_unknown_paths_are_not_found(api):
    page = await api.client.get("/no/such/page")
    assert page.status_code == 404 and '<main id="main"' in page.text  # the app says "page not found"
    assert (await api.client.get("/app/missing.js")).status_code == 404
    script = await api.client.get("/app/main.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert (await api.client.post("/items")).status_code == 405


# --- in a browser ---------------------------------------------------------------------------------


def follow(link: str, base: str) -> str:
    """An emailed link, pointed at the live server instead of the configured public URL."""
    assert link.startswith(EMAIL_BASE), link
    return base + link[len(EMAIL_BASE) :]


async def deliver(smtp_server) -> list[str]:
    smtp_server.clear()
    await deliver_due(smtp_server.settings())
    return [m.get_body(preferencelist=("plain",)).get_content() for m in smtp_server.messages]


async def item_titles(page) -> list[str]:
    return [title.strip() for title in await page.locator(".cards h2").all_inner_texts()]


async def build_client_world(api, factory):
    """Acme's website project (the one Clara is invited to), with ten items; an Acme app project
    Clara does not follow, where a colleague requested one item; and Globex's project."""
    admin = await factory.workspace("Northwind")
    acme = await factory.organization(admin, "Acme")
    globex = await factory.organization(admin, "Globex")
    colleague = await factory.person(admin, acme, "Colin Colleague")

    async def project(name, client):
        result = await api("CreateProject", {"input": {"name": name, "clientId": str(client.id)}}, token=admin.token)
        return result.ok()["createProject"]["id"]

    async def task(project_id, title, **fields):
        result = await api("CreateTask", {"input": {"projectId": project_id, "title": title, **fields}}, token=admin.token)
        return result.ok()["createTask"]["id"]

    website = await project("Acme website", acme)
    mobile = await project("Acme mobile app", acme)
    audit = await project("Globex audit", globex)
    visible = []
    for title, fields in [
        (
            "Redesign the home page",
            {
                "status": "IN_PROGRESS",
                "priority": "HIGH",
                "dueDate": "2026-12-18",
                "labels": ["design"],
                "description": "A calmer header, a clearer menu.\n\nSee the sketches from the kick-off.",
            },
        ),
        ("Fix the contact form", {"priority": "URGENT", "labels": ["bug"]}),
        ("Add Spanish translations", {"dueDate": "2027-01-15", "labels": ["content", "i18n"]}),
        ("Speed up the product pages", {"status": "ON_HOLD"}),
        ("New photos for the team page", {"priority": "LOW", "labels": ["content"]}),
        ("Cookie banner", {"status": "DONE"}),
        ("Newsletter sign-up", {}),
        ("Search results layout", {"status": "IN_PROGRESS"}),
        ("Accessibility review", {"priority": "HIGH", "dueDate": "2027-02-01"}),
        ("Broken links report", {"status": "DONE", "labels": ["bug"]}),
    ]:
        visible.append((await task(website, title, **fields), title))
    visible.append((await task(mobile, "Push notifications", requesterIds=[colleague.id]), "Push notifications"))
    await task(mobile, "Internal code review")  # Acme's, but nobody of Acme asked for it
    await task(audit, "Globex findings")  # another client's

    first_id = visible[0][0]
    for body, visibility in [
        ("Internal: check the font licence first.", "INTERNAL"),
        ("The first sketches are ready for you.", "PUBLIC"),
    ]:
        posted = await api(
            "PostMessage", {"input": {"taskId": first_id, "body": body, "visibility": visibility}}, token=admin.token
        )
        posted.ok()
    return admin, acme, website, visible


async def test_a_client_goes_from_the_invitation_email_to_replying_and_submitting(
    api, factory, smtp_server, live_server, browser
):
    admin, acme, website, visible = await build_client_world(api, factory)
    invited = await api(
        "InviteToProject",
        {"input": {"projectId": website, "organizationId": str(acme.id), "name": "Clara Client", "email": "clara@acme.example"}},
        token=admin.token,
    )
    clara_id = invited.ok()["inviteToProject"]["id"]

    [invitation] = await deliver(smtp_server)
    project_link = re.search(rf"{EMAIL_BASE}/projects/[\w-]+", invitation).group(0)
    assert project_link == f"{EMAIL_BASE}/projects/{website}"
    password_page = re.search(rf"{EMAIL_BASE}/set-password\b", invitation).group(0)

    context = await browser("en-US")
    page = await context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # The project link, before having a password: the portal asks to sign in first.
    await page.goto(follow(project_link, live_server))
    await page.get_by_role("heading", level=1, name="Sign in").wait_for()
    assert await page.locator("html").get_attribute("lang") == "en"

    # First visit: the invitation's password page sends a "create your password" email.
    await page.goto(follow(password_page, live_server))
    await page.get_by_role("heading", level=1, name="Create or reset your password").wait_for()
    await page.get_by_label("Email address").fill("clara@acme.example")
    await page.get_by_role("button", name="Email me a link").click()
    await page.get_by_role("status").filter(has_text="clara@acme.example").wait_for()

    [password_mail] = await deliver(smtp_server)
    token_link = re.search(rf"{EMAIL_BASE}/set-password\?token=[\w-]+", password_mail).group(0)
    await page.goto(follow(token_link, live_server))
    await page.get_by_role("heading", level=1, name="Choose your password").wait_for()
    await page.get_by_label("New password").fill("clara's new secret")
    await page.get_by_label("Repeat the password").fill("clara's new secret")
    await page.get_by_role("button", name="Save password").click()
    await page.get_by_text("Your password is saved").wait_for()
    assert "token" not in page.url  # the used link is gone from the address bar and history

    # Sign in with the keyboard.
    await page.get_by_label("Email address").fill("clara@acme.example")
    await page.get_by_label("Password").fill("clara's new secret")
    await page.get_by_label("Password").press("Enter")
    await page.get_by_role("heading", level=1, name="Your items").wait_for()
    await page.get_by_text("Signed in as Clara Client").wait_for()

    # Exactly the items the portal settings allow, newest first, ten to a page.
    newest_first = [title for _, title in reversed(visible)]
    await page.get_by_text("Shown 10 of 11").wait_for()
    first_page = await item_titles(page)
    assert first_page == newest_first[:10]
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shot = await page.screenshot()  # what a phone shows first
    if not SCREENSHOT.exists() or os.environ.get("CLIENTELA_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.write_bytes(shot)
    await page.get_by_role("button", name="Show more items").click()
    await page.get_by_text("Shown 11 of 11").wait_for()
    assert await item_titles(page) == newest_first
    assert not await page.get_by_role("button", name="Show more items").is_visible()
    for hidden in ("Internal code review", "Globex findings"):
        assert await page.get_by_text(hidden).count() == 0

    # The project page the invitation links to.
    await page.goto(follow(project_link, live_server))
    await page.get_by_role("heading", level=1, name="Acme website").wait_for()
    assert await page.get_by_role("link", name="Redesign the home page").count() == 1

    # An item: its visible fields and its public conversation, then a reply.
    await page.get_by_role("link", name="Redesign the home page").click()
    await page.get_by_role("heading", level=1, name="Redesign the home page").wait_for()
    facts = await page.locator("main dl.facts").inner_text()
    assert "In progress" in facts and "High" in facts and "Dec 18, 2026" in facts and "design" in facts
    assert "Time spent" not in facts and "Cost" not in facts  # hidden from clients by default
    await page.get_by_text("See the sketches from the kick-off.").wait_for()
    await page.get_by_text("The first sketches are ready for you.").wait_for()
    assert await page.get_by_text("check the font licence").count() == 0
    await page.get_by_label("Your reply").fill("Thank you! The calmer header looks great.")
    await page.get_by_role("button", name="Send reply").click()
    await page.get_by_text("Your reply was sent.").wait_for()
    await page.locator(".messages").get_by_text("The calmer header looks great.").wait_for()
    reply = await Message.get(task_id=visible[0][0], author_id=clara_id)
    assert reply.visibility is MessageVisibility.PUBLIC and reply.body == "Thank you! The calmer header looks great."

    # A new item, from the navigation.
    await page.get_by_role("navigation").get_by_role("link", name="New item").click()
    await page.get_by_role("heading", level=1, name="Submit a new item").wait_for()
    await page.get_by_label("Project").select_option(label="Acme website")
    await page.get_by_label("Title").fill("Add a careers page")
    await page.get_by_label("Description (optional)").fill("With the three open positions.")
    await page.get_by_role("button", name="Submit item").click()
    await page.get_by_role("heading", level=1, name="Add a careers page").wait_for()
    await page.get_by_text("Your item was submitted.").wait_for()
    new_item = await Task.get(title="Add a careers page")
    # The workspace's acknowledgement, once the worker has run the rules: in the conversation
    # like any reply, its author the workspace's automation identity.
    await automations.process_events()
    await page.reload()
    acknowledgement = page.locator(".message").filter(has_text="We received your request 'Add a careers page'")
    await acknowledgement.get_by_text("(automatic)").wait_for()
    assert str(new_item.project_id) == website
    assert await TaskRequester.filter(task_id=new_item.id, user_id=clara_id).exists()

    await page.get_by_role("link", name="All items").click()
    await page.get_by_text("Shown 10 of 12").wait_for()
    assert (await item_titles(page))[0] == "Add a careers page"
    assert problems == []


async def test_the_portal_speaks_the_visitors_language_and_hides_what_the_settings_hide(api, factory, live_server, browser):
    admin = await factory.workspace("Northwind")
    acme = await factory.organization(admin, "Acme")
    project = (await api("CreateProject", {"input": {"name": "Sitio web", "clientId": str(acme.id)}}, token=admin.token)).ok()
    project_id = project["createProject"]["id"]
    created = await api(
        "CreateTask",
        {"input": {"projectId": project_id, "title": "Página de inicio", "status": "IN_PROGRESS"}},
        token=admin.token,
    )
    task_id = created.ok()["createTask"]["id"]
    await api("FollowProject", {"projectId": project_id, "organizationIds": [str(acme.id)]}, token=admin.token)
    ruslan = await factory.person(admin, acme, "Ruslan", language="ru")
    settings = {"visibleTaskFields": ["PRIORITY"], "canSubmitItems": False, "canPostMessages": False}
    (await api("UpdatePortalSettings", {"input": settings}, token=admin.token)).ok()

    # Before signing in: the browser's language (Brazilian Portuguese here).
    context = await browser("pt-BR")
    page = await context.new_page()
    await page.goto(live_server + "/")
    await page.get_by_role("heading", level=1, name="Entrar").wait_for()
    assert await page.locator("html").get_attribute("lang") == "pt"
    await page.get_by_label("Endereço de e-mail").fill("nobody@acme.example")
    await page.get_by_label("Senha").fill("not the password")
    await page.get_by_role("button", name="Entrar").click()
    await page.get_by_role("alert").filter(has_text="E-mail ou senha incorretos.").wait_for()

    # Signed in (the session token already in sessionStorage): the viewer's own language.
    await page.evaluate("token => sessionStorage.setItem('clientela.token', token)", ruslan.token)
    await page.goto(live_server + "/")
    await page.get_by_role("heading", level=1, name="Ваши заявки").wait_for()
    assert await page.locator("html").get_attribute("lang") == "ru"
    await page.get_by_text("Показано 1 из 1").wait_for()
    card = await page.locator(".cards li.card").inner_text()
    assert "Обычный" in card and "В работе" not in card  # priority shown, status hidden
    assert await page.get_by_role("link", name="Новая заявка").count() == 0  # submitting is off

    await page.get_by_role("link", name="Página de inicio").click()
    await page.get_by_role("heading", level=1, name="Página de inicio").wait_for()
    assert await page.get_by_label("Ваш ответ").count() == 0  # replying is off
    assert await page.get_by_role("heading", name="Переписка").count() == 0  # messages are hidden

    await page.goto(f"{live_server}/items/new")
    await page.get_by_text("Отправка новых заявок отключена.").wait_for()
    await page.goto(f"{live_server}/items/{project_id}")  # not an item: a friendly "not found"
    await page.get_by_role("heading", level=1, name="Страница не найдена").wait_for()

    # A session that has ended sends the person back to the sign-in page, told why.
    await api("LogOut", token=ruslan.token)
    await page.goto(f"{live_server}/items/{task_id}")
    await page.get_by_role("heading", level=1, name="Entrar").wait_for()
    await page.get_by_text("Sua sessão terminou. Entre novamente.").wait_for()


async def test_a_consultant_opens_the_organization_and_project_links_of_the_emails(
    api, factory, smtp_server, live_server, browser
):
    admin = await factory.workspace("Northwind")
    acme = await factory.organization(admin, "Acme")
    created = await api(
        "CreateProject",
        {"input": {"name": "Acme website", "clientId": str(acme.id), "budget": "1500.00", "hourlyRate": "60.00"}},
        token=admin.token,
    )
    project_id = created.ok()["createProject"]["id"]
    task = await api("CreateTask", {"input": {"projectId": project_id, "title": "Redesign the home page"}}, token=admin.token)
    task_id = task.ok()["createTask"]["id"]
    carl = await factory.person(admin, None, "Carl Consultant")
    shared = await api(
        "ShareOrganization", {"organizationId": str(acme.id), "invitees": [{"userId": carl.id}]}, token=admin.token
    )
    shared.ok()
    [mail] = await deliver(smtp_server)
    organization_link = re.search(rf"{EMAIL_BASE}/organizations/[\w-]+", mail).group(0)

    context = await browser("en-US")
    page = await context.new_page()
    await page.goto(live_server + "/")
    await page.evaluate("token => sessionStorage.setItem('clientela.token', token)", carl.token)
    await page.goto(follow(organization_link, live_server))
    await page.get_by_role("heading", level=1, name="Acme").wait_for()
    shares = page.get_by_role("region", name="Shared with")
    await shares.get_by_text("Carl Consultant").wait_for()
    money = await page.get_by_role("region", name="Money").inner_text()
    assert "$1,500.00" in money  # a consultant sees money; a client's financialSummary is null

    await page.get_by_role("link", name="Acme website").click()
    await page.get_by_role("heading", level=1, name="Acme website").wait_for()
    facts = await page.locator("main dl.facts").inner_text()
    assert "Acme" in facts and "$1,500.00" in facts and "$60.00" in facts

    # Conversation emails link to /projects/{id}?task={id}: that opens the item.
    await page.goto(f"{live_server}/projects/{project_id}?task={task_id}")
    await page.get_by_role("heading", level=1, name="Redesign the home page").wait_for()
    assert page.url == f"{live_server}/items/{task_id}"


async def test_staff_preview_the_portal_as_a_client_read_only(api, factory, live_server, browser):
    """/?viewAs=<person id>, signed in as oneself: the portal as that client sees it, under a
    banner, with every form disabled; the preview is in the client's audit log once."""
    from clientela.audit.models import AuditEntry

    admin, acme, website, visible = await build_client_world(api, factory)
    clara = await factory.person(admin, acme, "Clara Client")
    (await api("FollowProject", {"projectId": website, "userIds": [clara.id]}, token=admin.token)).ok()

    async def signed_in_page(person, path="/"):
        page = await (await browser("en-US")).new_page()
        await page.goto(live_server + "/set-password")
        await page.evaluate("token => sessionStorage.setItem('clientela.token', token)", person.token)
        await page.goto(live_server + path)
        return page

    # What Clara sees, signed in herself.
    own = await signed_in_page(clara)
    await own.get_by_role("heading", level=1, name="Your items").wait_for()
    await own.get_by_text(re.compile(r"^Shown 10 of \d+$")).wait_for()
    clara_titles, clara_count = await item_titles(own), await own.locator(".count").inner_text()
    assert "Internal code review" not in clara_titles and "Globex findings" not in clara_titles

    # The admin previews the portal as Clara: the same items, under the banner.
    page = await signed_in_page(admin, f"/?viewAs={clara.id}")
    banner = page.locator("#preview-banner")
    await banner.get_by_text("Previewing as Clara Client — read-only").wait_for()
    await page.get_by_role("heading", level=1, name="Your items").wait_for()
    await page.get_by_text(clara_count, exact=True).wait_for()
    assert await item_titles(page) == clara_titles
    assert page.url == live_server + "/"  # the preview stays with the session, not the address
    await page.get_by_text("Signed in as Ada Admin").wait_for()

    # An item as Clara sees it (the oldest, on the second page): public messages only, and the
    # reply form disabled.
    await page.get_by_role("button", name="Show more items").click()
    await page.get_by_role("link", name="Redesign the home page").click()
    await page.get_by_role("heading", level=1, name="Redesign the home page").wait_for()
    await page.get_by_text("The first sketches are ready for you.").wait_for()
    assert await page.get_by_text("Internal: check the font licence first.").count() == 0
    assert await page.get_by_label("Your reply").is_disabled()
    assert await page.get_by_role("button", name="Send reply").is_disabled()
    assert await banner.is_visible()
    await page.goto(f"{live_server}/items/new")
    await page.get_by_role("heading", level=1, name="Submit a new item").wait_for()
    for label in ("Project", "Title", "Description (optional)"):
        assert await page.get_by_label(label).is_disabled(), label
    assert await page.get_by_role("button", name="Submit item").is_disabled()

    # Ending the preview: the admin's own portal (every item of the workspace), no banner.
    await page.get_by_role("button", name="End preview").click()
    await page.get_by_role("heading", level=1, name="Your items").wait_for()
    await page.get_by_text("Shown 10 of 13", exact=True).wait_for()
    assert await banner.is_hidden()
    entries = await AuditEntry.filter(organization_id=acme.id, action="portal.preview").prefetch_related("actor")
    assert [(e.actor.name, e.summary) for e in entries] == [("Ada Admin", "previewed the portal as Clara Client")]

    # A person the signed-in staff member may not preview: their own portal, told why.
    refused = await signed_in_page(admin, f"/?viewAs={admin.id}")
    await refused.get_by_text("You may not preview the portal as this person.").wait_for()
    assert await refused.locator("#preview-banner").is_hidden()
