"""Finding and following up in the portal web app (issue 18, items 5 and 9), end to end in
Chromium: search, status and ownership filters and orders kept in the URL, references and dates
on the cards, unread markers and the header's count, which side wrote a message, resolving,
reopening and rating, following and muting, and a project's items past the first 50."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import parse, print_ast
from playwright.async_api import expect

from clientela.conversations.models import ItemNotifications, ItemSubscription
from clientela.projects.models import Project, ProjectFollower
from clientela.ratings.models import ItemRating
from clientela.tasks.models import Task, TaskStatus
from clientela.tasks.repository import next_ref
from support import operations_in
from test_e2e_portal import documents_in

ROOT = Path(__file__).resolve().parents[1]


def test_the_portals_finding_documents_are_those_the_portal_access_tests_run():
    """The contract's PortalHome cannot change: the portal sends tests/operations/portal.graphql's
    documents, which tests/test_portal_access.py runs as every kind of viewer."""
    documents = documents_in("portal-operations.js")
    source = (ROOT / "tests" / "operations" / "portal.graphql").read_text()
    expected = operations_in("portal.graphql")
    assert {"PortalFind", "PortalItemFollowUp", "MarkItemRead", "ProjectTasksPage"} <= set(documents)
    for name, text in documents.items():
        assert text in source, f"{name} is not copied verbatim from tests/operations/portal.graphql"
        assert print_ast(parse(text)) == print_ast(parse(expected[name])), name


async def acme_world(api, factory, **settings):
    """Northwind's client Acme: Clara and her colleague Colin, the Acme website project (key
    ACME) and four items, oldest first: Clara's logo (in progress, due in March), her cookie
    banner (done), Colin's contact form (open, due in January) and Clara's café menu."""
    admin = await factory.workspace("Northwind")
    acme = await factory.organization(admin, "Acme")
    clara = await factory.person(admin, acme, "Clara Client")
    colin = await factory.person(admin, acme, "Colin Colleague")
    if settings:
        (await api("UpdatePortalSettings", {"input": settings}, token=admin.token)).ok()
    created = await api("CreateProject", {"input": {"name": "Acme website", "clientId": str(acme.id)}}, token=admin.token)
    project = created.ok()["createProject"]["id"]
    ids = {}
    for title, requester, fields in [
        ("Logo refresh", clara, {"status": "IN_PROGRESS", "dueDate": "2027-03-01"}),
        ("Cookie banner", clara, {"status": "DONE"}),
        ("Contact form bug", colin, {"dueDate": "2027-01-10"}),
        ("Café menu", clara, {}),
    ]:
        variables = {"input": {"projectId": project, "title": title, "requesterIds": [requester.id], **fields}}
        ids[title] = (await api("CreateTask", variables, token=admin.token)).ok()["createTask"]["id"]
    return admin, clara, project, ids


async def signed_in(browser, base, person, path="/"):
    page = await (await browser("en-US")).new_page()
    await page.goto(base + "/set-password")
    await page.evaluate("token => sessionStorage.setItem('clientela.token', token)", person.token)
    await page.goto(base + path)
    return page


async def shows(page, titles):
    """Wait for the list to show exactly `titles`, in this order."""
    await expect(page.locator(".cards h2")).to_have_text(titles)


async def test_a_client_searches_filters_and_orders_items_kept_in_the_url(api, factory, live_server, browser):
    admin, clara, project, ids = await acme_world(api, factory)
    page = await signed_in(browser, live_server, clara)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    # Newest first by default, each card with its reference and its dates.
    await page.get_by_role("heading", level=1, name="Your items").wait_for()
    await shows(page, ["Café menu", "Contact form bug", "Cookie banner", "Logo refresh"])
    card = page.locator(".cards li").filter(has_text="Logo refresh")
    await expect(card).to_contain_text("ReferenceACME-1")
    task = await Task.get(id=ids["Logo refresh"])
    created = card.locator("dd time").first
    assert await created.get_attribute("datetime") == task.created_at.isoformat()

    # Search, from the keyboard: Enter in the box submits the form.
    search = page.get_by_role("searchbox", name="Search")
    await search.fill("cafe")
    await search.press("Enter")
    await shows(page, ["Café menu"])
    assert re.search(r"\?q=cafe$", page.url), page.url
    await page.reload()
    await shows(page, ["Café menu"])
    await expect(page.get_by_role("searchbox", name="Search")).to_have_value("cafe")

    # Not done yet, soonest due first (undated last), mine: from the form, then from a pasted URL.
    await search.fill("")
    await page.get_by_label("Status").select_option(label="Not done yet")
    await page.get_by_label("Order").select_option(label="Due date, soonest first")
    await page.get_by_role("button", name="Show items").click()
    await shows(page, ["Contact form bug", "Logo refresh", "Café menu"])
    await page.get_by_label("Whose").select_option(label="Mine")
    await page.get_by_role("button", name="Show items").click()
    await shows(page, ["Logo refresh", "Café menu"])
    pasted = await signed_in(browser, live_server, clara, "/items?status=open&whose=mine&order=due")
    await shows(pasted, ["Logo refresh", "Café menu"])
    await expect(pasted.get_by_label("Whose")).to_have_value("mine")
    await expect(pasted.get_by_label("Order")).to_have_value("due")

    # Recently updated: a change to the oldest item brings it first. One status: Done.
    (await api("UpdateTask", {"id": ids["Cookie banner"], "input": {"title": "Cookie banner v2"}}, token=admin.token)).ok()
    await pasted.goto(live_server + "/?order=updated")
    await shows(pasted, ["Cookie banner v2", "Café menu", "Contact form bug", "Logo refresh"])
    await pasted.get_by_label("Status").select_option(label="Done")
    await pasted.get_by_role("button", name="Show items").click()
    await shows(pasted, ["Cookie banner v2"])

    # Back and forward restore the filters; nothing matching says how to get out of it.
    await page.go_back()
    await shows(page, ["Contact form bug", "Logo refresh", "Café menu"])
    await page.go_forward()
    await shows(page, ["Logo refresh", "Café menu"])
    await page.get_by_role("searchbox", name="Search").fill("nothing like this")
    await page.get_by_role("button", name="Show items").click()
    await page.get_by_text("No items match these filters.").wait_for()
    await page.get_by_role("link", name="Clear the filters").click()
    await shows(page, ["Café menu", "Contact form bug", "Cookie banner v2", "Logo refresh"])
    assert page.url == live_server + "/"
    assert problems == []


async def test_unread_markers_the_header_count_and_who_wrote_each_message(api, factory, live_server, browser):
    admin, clara, project, ids = await acme_world(api, factory)
    reply = {"input": {"taskId": ids["Logo refresh"], "body": "The new logo is ready.", "visibility": "PUBLIC"}}
    (await api("PostMessage", reply, token=admin.token)).ok()
    page = await signed_in(browser, live_server, clara)

    # The staff's public reply: a marker in words on its card, and the count in the header.
    logo = page.locator(".cards li").filter(has_text="Logo refresh")
    await expect(logo.locator(".unread-marker")).to_have_text("New messages")
    assert await page.locator(".unread-marker").count() == 1
    nav_items = page.get_by_role("navigation").get_by_role("link", name=re.compile("^Items"))
    await expect(nav_items).to_have_text("Items1 unread")

    # Opening the item marks it read: the count goes, the reference is in the title.
    await logo.get_by_role("link", name="Logo refresh").click()
    await page.get_by_role("heading", level=1, name="Logo refresh").wait_for()
    await expect(page.locator("main .ref")).to_have_text("ACME-1")
    await expect(page).to_have_title("ACME-1 Logo refresh · Clientela")
    await expect(nav_items).to_have_text("Items")
    facts = page.locator("main dl.facts")
    await expect(facts.get_by_role("link", name="Acme website")).to_have_attribute("href", f"/projects/{project}")
    assert await facts.locator("time").count() == 2

    # Who wrote each message: the firm's people labelled as the firm's team, the client's with
    # their organization; after a reply, focus is on the new message.
    staff_message = page.locator(".message").filter(has_text="The new logo is ready.")
    await expect(staff_message.locator("header")).to_contain_text("Ada Admin Northwind team")
    await page.get_by_label("Your reply").fill("Lovely, thank you.")
    await page.get_by_role("button", name="Send reply").click()
    mine = page.locator(".message").filter(has_text="Lovely, thank you.")
    await expect(mine.locator("header")).to_contain_text("Clara Client · Acme Client")
    await expect(mine).to_be_focused()

    await page.get_by_role("link", name="All items").click()
    await shows(page, ["Café menu", "Contact form bug", "Cookie banner", "Logo refresh"])
    assert await page.locator(".unread-marker").count() == 0


async def test_a_client_resolves_reopens_rates_and_mutes_an_item(api, factory, live_server, browser):
    admin, clara, project, ids = await acme_world(api, factory, canResolveItems=True)
    page = await signed_in(browser, live_server, clara, f"/items/{ids['Logo refresh']}")
    await page.get_by_role("heading", level=1, name="Logo refresh").wait_for()

    # Resolve: the status is Done, and the rating form appears.
    await page.get_by_role("button", name="Mark as resolved").click()
    await page.get_by_role("status").filter(has_text="The item is resolved.").wait_for()
    await expect(page.locator("main dl.facts")).to_contain_text("Done")
    await expect(page.get_by_role("heading", level=1)).to_be_focused()
    scores = page.get_by_role("group", name="How did we do?")
    await scores.get_by_role("radio", name="4 – Good").check()
    await page.get_by_label("Comment (optional)").fill("Quick and clear")
    await page.get_by_role("button", name="Save rating").click()
    await page.get_by_role("status").filter(has_text="Thank you for your rating.").wait_for()
    await page.get_by_text("You rated it 4 of 5.").wait_for()
    await expect(page.get_by_role("radio", name="4 – Good")).to_be_checked()
    rating = await ItemRating.get(task_id=ids["Logo refresh"], user_id=clara.user.id)
    assert (rating.score, rating.comment) == (4, "Quick and clear")

    # Reopen: open again, and no rating form on an item that is not resolved.
    await page.get_by_role("button", name="Reopen").click()
    await page.get_by_role("status").filter(has_text="The item is open again.").wait_for()
    assert (await Task.get(id=ids["Logo refresh"])).status is TaskStatus.OPEN
    assert await page.get_by_role("button", name="Save rating").count() == 0

    # Emails: the current choice is checked; muting is kept.
    emails = page.get_by_role("group", name="Emails about this item")
    await expect(emails.get_by_role("radio", name="As usual")).to_be_checked()
    await emails.get_by_role("radio", name="Mute: no emails").check()
    await page.get_by_role("button", name="Save choice").click()
    saved = page.get_by_role("status").filter(has_text="Saved. Emails: Mute: no emails.")
    await expect(saved).to_be_focused()
    subscription = await ItemSubscription.get(task_id=ids["Logo refresh"], user_id=clara.user.id)
    assert subscription.notifications is ItemNotifications.MUTED
    await page.reload()
    await expect(page.get_by_role("radio", name="Mute: no emails")).to_be_checked()

    # A colleague's item: Clara may follow it, but neither resolve nor rate it.
    await page.goto(f"{live_server}/items/{ids['Contact form bug']}")
    await page.get_by_role("heading", level=1, name="Contact form bug").wait_for()
    await expect(page.get_by_role("radio", name="Follow: every public reply")).to_be_visible()
    assert await page.get_by_role("button", name="Mark as resolved").count() == 0


async def test_the_project_page_shows_more_than_fifty_items(api, factory, live_server, browser):
    admin, clara, project, ids = await acme_world(api, factory)
    await ProjectFollower.create(project_id=project, user_id=clara.user.id)
    website = await Project.get(id=project)
    for number in range(1, 52):
        await Task.create(
            workspace_id=admin.user.workspace_id, project=website, title=f"Item {number:02}", ref=await next_ref(website)
        )
    page = await signed_in(browser, live_server, clara, f"/projects/{project}")
    await page.get_by_role("heading", level=1, name="Acme website").wait_for()
    items = page.get_by_role("region", name="Items")
    await items.get_by_text("Shown 50 of 55").wait_for()
    await items.get_by_role("button", name="Show more items").click()
    await items.get_by_text("Shown 55 of 55").wait_for()
    # Focus moves to the first item of the new page; nothing is left to show.
    await expect(items.get_by_role("link", name="Item 47")).to_be_focused()
    await expect(items.get_by_role("link", name="Item 51")).to_be_visible()
    assert not await items.get_by_role("button", name="Show more items").is_visible()
