"""The browser of the portal's end-to-end tests: Debian's Chromium (/usr/bin/chromium, installed by
scripts/test.sh), driven by Playwright for Python; Playwright's own browser download is not used."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 412, "height": 915}


@pytest.fixture
async def browser(tmp_path):
    """A function that opens a Chromium context (fresh user-data dir) with a locale."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium package"
    from playwright.async_api import async_playwright

    contexts = []
    async with async_playwright() as playwright:

        async def open_context(locale: str = "en-US", **options):
            context = await playwright.chromium.launch_persistent_context(
                tmp_path / f"chromium-{len(contexts)}",
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                locale=locale,
                viewport=PHONE,
                **options,
            )
            context.set_default_timeout(10_000)
            contexts.append(context)
            return context

        yield open_context
        for context in contexts:
            await context.close()
