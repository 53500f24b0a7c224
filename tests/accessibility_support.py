"""Checking the portal's pages as people with disabilities meet them: axe-core (npm, pinned in
tests/browser/package.json, installed by scripts/test.sh) injected into Chromium, at a desktop
and a phone size, and no horizontal scrolling at 320 px; the keyboard focus, step by step.

A page is a `PortalPage`: a name, who is signed in (a key of the test's people, or None) and its
path; `check_pages` opens each, waits until it has loaded, and gives every problem found on any
of them as readable lines, so that one run tells everything that is wrong."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 412, "height": 915}}
NARROWEST = {"width": 320, "height": 640}

# The portal's Content-Security-Policy allows no inline script, and axe is injected as one: the
# contexts that run axe bypass it (the policy itself is tested in tests/test_e2e_portal.py).
AXE_CONTEXT = {"bypass_csp": True}

# Loaded: the app has replaced the first "Loading…" and main is no longer busy.
LOADED = "main#main:not([aria-busy]) h1"


@dataclass
class PortalPage:
    name: str
    person: str | None  # a key of the people the test signs in, or None: signed out
    path: str
    # Anything to set up on the page before it opens (e.g. a route that makes the API fail).
    prepare: Callable[[object], Awaitable[None]] | None = None


async def sign_in(page, base: str, token: str | None) -> None:
    """The session of `token` in this tab (the portal keeps it in sessionStorage), or none."""
    await page.goto(base + "/set-password")
    await page.wait_for_selector(LOADED)
    await page.evaluate("token => token ? sessionStorage.setItem('clientela.token', token) : sessionStorage.clear()", token)


async def axe_violations(page) -> list[dict]:
    """The WCAG 2.x A/AA and best-practice violations axe-core finds on the page as it is now."""
    assert AXE.exists(), f"{AXE} is missing: run `npm ci --prefix tests/browser` (scripts/test.sh does)"
    if not await page.evaluate("() => Boolean(window.axe)"):
        await page.add_script_tag(content=AXE.read_text())
    return await page.evaluate(
        """async () => {
            const results = await axe.run(document, {
                runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
                resultTypes: ["violations"],
            });
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
            }));
        }"""
    )


def describe(violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    at {node['target']}: {summary}")
    return lines


async def horizontal_overflow(page) -> str | None:
    """What sticks out to the right of the window (wider than the page), or None."""
    return await page.evaluate(
        """() => {
            const root = document.documentElement;
            if (root.scrollWidth <= root.clientWidth) return null;
            const wide = [...document.body.querySelectorAll("*")]
                .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 0.5)
                .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).replace(/ /g, ".") : ""));
            return `scrollWidth ${root.scrollWidth} > clientWidth ${root.clientWidth}: ${wide.slice(0, 8).join(", ")}`;
        }"""
    )


async def check_page(page, label: str) -> list[str]:
    """axe at each size and the overflow at 320 px of the page open in `page`."""
    problems = []
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        violations = await axe_violations(page)
        if violations:
            problems.append(f"{label} at {size} {viewport['width']}x{viewport['height']}:")
            problems.extend(describe(violations))
    await page.set_viewport_size(NARROWEST)
    overflow = await horizontal_overflow(page)
    if overflow:
        problems.append(f"{label} at 320 px scrolls sideways: {overflow}")
    return problems


async def check_pages(context, base: str, pages: list[PortalPage], tokens: dict[str, str]) -> list[str]:
    """Every page of `pages`, each in a tab of its own, signed in as its person."""
    problems = []
    for portal_page in pages:
        page = await context.new_page()
        errors = []
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        await sign_in(page, base, tokens[portal_page.person] if portal_page.person else None)
        if portal_page.prepare:
            await portal_page.prepare(page)
        await page.goto(base + portal_page.path)
        await page.wait_for_selector(LOADED)
        label = f"{portal_page.name} ({portal_page.path})"
        problems.extend(await check_page(page, label))
        problems.extend(f"{label}: script error {error}" for error in errors)
        await page.close()
    return problems


async def focused(page) -> str:
    """The element that has the keyboard focus, described: `tag#id[role] "text"`."""
    return await page.evaluate(
        """() => {
            const e = document.activeElement;
            if (!e || e === document.body) return "body";
            const role = e.getAttribute("role") ? `[${e.getAttribute("role")}]` : "";
            const name = e.labels?.[0]?.textContent ?? e.textContent;
            return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${role} "${name.trim().slice(0, 80)}"`;
        }"""
    )


async def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (Shift+Tab) until the focus is on an element `selector` (Playwright's) matches;
    the focus is never on <body> on the way."""
    target = page.locator(selector)
    for _ in range(limit):
        await page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if await target.evaluate_all("elements => elements.includes(document.activeElement)"):
            return
        assert await focused(page) != "body", f"the focus dropped to <body> on the way to {selector}"
    raise AssertionError(f"{limit} presses of Tab did not reach {selector}; the focus is on {await focused(page)}")
