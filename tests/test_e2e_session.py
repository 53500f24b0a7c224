"""The portal's sessions and language switch, end to end (issue 18, items 6 and 7): index.html
comes in the page's language before any script runs; an email's link opens its page in the
email's language in a browser set to English; the switch sets the person's own language; "keep me
signed in" survives a browser restart and its absence does not; a Ctrl+click opens an item signed
in; signing out ends the session on the server and in the other tabs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, print_ast
from playwright.async_api import async_playwright, expect

from browser_support import CHROMIUM, CHROMIUM_ARGS, PHONE
from clientela.people.models import User
from support import ADMIN_PASSWORD, operations_in
from test_e2e_portal import EMAIL_BASE, STATIC, deliver, documents_in, follow

ROOT = Path(__file__).resolve().parents[1]


def test_the_portals_session_documents_are_those_the_session_tests_run():
    documents = documents_in("session-operations.js")
    file_text = (ROOT / "tests" / "operations" / "session.graphql").read_text()
    expected = operations_in("session.graphql")
    assert set(documents) == set(expected)
    for name, text in documents.items():
        assert text in file_text, f"{name} is not copied verbatim from tests/operations/session.graphql"
        assert print_ast(parse(text)) == print_ast(parse(expected[name])), name


def first_words(language: str) -> tuple[str, str]:
    """The "Loading…" and the skip link's text in `language`, as static/app/i18n.js has them."""
    source = (STATIC / "app" / "i18n.js").read_text()
    block = re.search(rf"^  {language}: \{{\n(.*?)^  \}},$", source, flags=re.M | re.S).group(1)
    return tuple(re.search(rf'^    {key}: "(.*)",$', block, flags=re.M).group(1) for key in ("loading", "skip"))


@pytest.mark.parametrize(
    "path, headers, language",
    [
        ("/set-password?token=abc&lang=ru", {"Accept-Language": "en-US,en;q=0.9"}, "ru"),
        ("/items/1?lang=pt", {"Cookie": "clientela_lang=es", "Accept-Language": "en"}, "pt"),
        ("/", {"Cookie": "other=1; clientela_lang=es", "Accept-Language": "ru"}, "es"),
        ("/", {"Accept-Language": "fr-CA, pt-BR;q=0.8, es;q=0.9"}, "es"),
        ("/no/such/page", {"Accept-Language": "ru-RU"}, "ru"),
        ("/?lang=xx", {"Accept-Language": "de"}, "en"),
    ],
)
async def test_the_first_page_is_in_the_language_of_the_link_the_browser_or_its_last_choice(api, path, headers, language):
    response = await api.client.get(path, headers=headers)
    loading, skip = first_words(language)
    assert f'<html lang="{language}">' in response.text
    assert f'<p id="loading">{loading}</p>' in response.text and f">{skip}</a>" in response.text
    assert "Accept-Language" in response.headers["vary"] and "Cookie" in response.headers["vary"]
    assert "script-src 'self'" in response.headers["content-security-policy"]


# --- in a browser ---------------------------------------------------------------------------------


@pytest.fixture
async def chromium(tmp_path):
    """`await chromium(name, locale)`: a Chromium context on the user-data dir `name`; opening the
    same name again after closing it is the same browser restarted."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium package"
    opened = []
    async with async_playwright() as playwright:

        async def open_context(name: str, locale: str = "en-US"):
            context = await playwright.chromium.launch_persistent_context(
                tmp_path / name, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, locale=locale, viewport=PHONE
            )
            context.set_default_timeout(10_000)
            opened.append(context)
            return context

        yield open_context
        for context in opened:
            await context.close()


async def firm_with_an_item(api, factory):
    admin = await factory.workspace("Northwind")
    acme = await factory.organization(admin, "Acme")
    project = (await api("CreateProject", {"input": {"name": "Acme website", "clientId": str(acme.id)}}, token=admin.token)).ok()
    project_id = project["createProject"]["id"]
    await api("CreateTask", {"input": {"projectId": project_id, "title": "Redesign the home page"}}, token=admin.token)
    return admin


async def sign_in(page, base: str, admin, *, keep: bool) -> None:
    await page.goto(base + "/")
    await page.get_by_role("heading", level=1, name="Sign in").wait_for()
    await page.get_by_label("Email address").fill(admin.user.email)
    await page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    if keep:
        await page.get_by_label("Keep me signed in").check()
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", level=1, name="Your items").wait_for()


async def test_a_russian_email_link_opens_in_russian_in_an_english_browser(api, factory, live_server, smtp_server, chromium):
    admin = await factory.workspace("Northwind")
    acme = await factory.organization(admin, "Acme")
    client = await factory.person(admin, acme, "Klara Klient", email="klara@acme.example", language="ru")
    (await api("RequestPasswordReset", {"email": client.user.email})).ok()
    [email] = await deliver(smtp_server)
    link = re.search(rf"{EMAIL_BASE}/set-password\?token=[\w-]+&lang=ru", email).group(0)

    page = await (await chromium("ru-link", "en-US")).new_page()
    response = await page.goto(follow(link, live_server))
    loading, _ = first_words("ru")
    assert '<html lang="ru">' in await response.text() and loading in await response.text()
    await page.get_by_role("heading", level=1, name="Задайте пароль").wait_for()
    assert await page.locator("html").get_attribute("lang") == "ru"
    assert "lang=" not in page.url  # taken into the page; a reload keeps it through the cookie
    await page.reload()
    await page.get_by_role("heading", level=1, name="Задайте пароль").wait_for()


async def test_the_language_switch_sets_the_persons_own_language(api, factory, live_server, chromium):
    admin = await firm_with_an_item(api, factory)
    page = await (await chromium("switch")).new_page()
    # Signed out, the choice is this browser's only.
    await page.goto(live_server + "/")
    await page.get_by_label("Language").select_option("pt")
    await page.get_by_role("heading", level=1, name="Entrar").wait_for()
    assert (await User.get(id=admin.user.id)).language is None
    await page.get_by_label("Idioma").select_option("en")
    await sign_in(page, live_server, admin, keep=False)

    await page.get_by_label("Language").select_option("es")
    await page.get_by_role("heading", level=1, name="Sus elementos").wait_for()
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await expect(page.get_by_label("Idioma")).to_be_focused()
    assert (await api("Viewer", token=admin.token)).ok()["viewer"]["language"] == "es"
    response = await page.reload()
    assert '<html lang="es">' in await response.text()
    await page.get_by_role("heading", level=1, name="Sus elementos").wait_for()


@pytest.mark.parametrize("keep", [True, False])
async def test_keep_me_signed_in_survives_a_browser_restart_and_only_it(api, factory, live_server, chromium, keep):
    admin = await firm_with_an_item(api, factory)
    context = await chromium("restart")
    page = await context.new_page()
    await sign_in(page, live_server, admin, keep=keep)
    await page.reload()  # a reload keeps the session either way
    await page.get_by_role("heading", level=1, name="Your items").wait_for()
    await context.close()

    page = await (await chromium("restart")).new_page()
    await page.goto(live_server + "/")
    await page.get_by_role("heading", level=1, name="Your items" if keep else "Sign in").wait_for()


async def test_ctrl_click_opens_an_item_signed_in_and_signing_out_ends_the_session_everywhere(
    api, factory, live_server, chromium
):
    admin = await firm_with_an_item(api, factory)
    context = await chromium("tabs")
    page = await context.new_page()
    await sign_in(page, live_server, admin, keep=False)
    token = await page.evaluate("sessionStorage.getItem('clientela.token')")
    assert (await api("Viewer", token=token)).ok()["viewer"]["id"] == admin.id

    async with context.expect_page() as opened:
        await page.get_by_role("link", name="Redesign the home page").click(modifiers=["Control"])
    tab = await opened.value
    await tab.get_by_role("heading", level=1, name="Redesign the home page").wait_for()
    await tab.reload()
    await tab.get_by_role("heading", level=1, name="Redesign the home page").wait_for()

    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_role("heading", level=1, name="Sign in").wait_for()
    await tab.get_by_role("heading", level=1, name="Sign in").wait_for()
    await expect(tab.get_by_role("status").filter(has_text="You signed out in another tab.")).to_be_visible()
    assert (await api("Viewer", token=token)).ok()["viewer"] is None
    assert await tab.evaluate("sessionStorage.getItem('clientela.token')") is None
