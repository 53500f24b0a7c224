"""Where the time of a request goes: PortalHome, ProjectPage and TaskPage run in-process
(through the ASGI app, no HTTP server, one request at a time) under pyinstrument.

    .venv/bin/python -m bench.profile [--tasks 100000] [--requests 200] [--backend PATH]

Writes bench/results/profile-<operation>.txt (the call tree) and .html, and prints, per
operation, the mean time of a request and the share of it spent in each library (self time of
the frames whose code lives there; time awaiting the database shows as "await").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

from bench import generate, run

CATEGORIES = (
    ("/strawberry/", "strawberry"),
    ("/graphql/", "graphql-core"),
    ("/tortoise/", "tortoise-orm"),
    ("/pypika", "pypika (SQL building)"),
    ("/aiosqlite/", "aiosqlite"),
    ("/starlette/", "starlette"),
    ("/httpx/", "httpx (the in-process client)"),
    ("/clientela/", "clientela"),
    ("/asyncio/", "asyncio"),
    ("/json/", "json"),
    ("/pydantic", "pydantic"),
    ("/uuid.py", "uuid"),
    ("/enum.py", "enum"),
    ("/typing.py", "typing"),
    ("/dataclasses.py", "dataclasses"),
)


WAITING = "waiting: epoll / awaiting the database thread"


def category(frame) -> str:
    if frame.identifier == "[self]" and frame.parent is not None:
        frame = frame.parent  # a frame's own time shows as a synthetic [self] child
    elif frame.is_synthetic:
        return WAITING
    if (frame.function or "").endswith("poll") and (frame.file_path or "<built-in>") == "<built-in>":
        return WAITING  # the event loop idles while the database thread runs the SQL
    path = frame.file_path or ""
    for needle, name in CATEGORIES:
        if needle in path:
            return name
    if "site-packages" in path:
        return "other libraries"
    return "python stdlib / other"


def shares(session) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Self time by library, and the functions with the most self time (percent of the whole)."""
    totals: dict[str, float] = defaultdict(float)
    functions: dict[str, float] = defaultdict(float)

    def walk(frame) -> None:
        own = max(frame.time - sum(child.time for child in frame.children), 0.0)
        totals[category(frame)] += own
        owner = frame.parent if frame.identifier == "[self]" and frame.parent is not None else frame
        functions[f"{owner.function} ({owner.file_path_short}:{owner.line_no})"] += own
        for child in frame.children:
            walk(child)

    root = session.root_frame()
    if root is not None:
        walk(root)
    whole = sum(totals.values()) or 1.0
    by_library = {name: round(100 * t / whole, 1) for name, t in sorted(totals.items(), key=lambda kv: -kv[1])}
    top = [(name, round(100 * t / whole, 1)) for name, t in sorted(functions.items(), key=lambda kv: -kv[1])[:12]]
    return by_library, top


async def profile(url: str, info: dict, names: list[str], requests: int, out: Path) -> dict:
    import httpx
    from pyinstrument import Profiler

    from clientela import db
    from clientela.app import create_app
    from clientela.settings import Settings

    settings = Settings(database_url=url, development=False, **run.FAIR_USE)
    app = create_app(settings, run_email_worker=False, manage_database=False)
    cases = {e.name: e for e in run.endpoints_for(info, 0, None)}
    summary = {}
    await db.connect(url)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for name in names:
                endpoint = cases[name]
                headers = {"Authorization": f"Bearer {endpoint.token}"}
                for _ in range(10):
                    answer = (await client.post("/graphql", json=endpoint.body, headers=headers)).json()
                    if answer.get("errors"):
                        raise SystemExit(f"{name}: {answer['errors']}")
                profiler = Profiler(interval=0.0005, async_mode="enabled")
                started = time.perf_counter()
                profiler.start()
                for _ in range(requests):
                    await client.post("/graphql", json=endpoint.body, headers=headers)
                profiler.stop()
                elapsed = time.perf_counter() - started
                (out / f"profile-{name}.txt").write_text(profiler.output_text(unicode=False, color=False, show_all=False))
                (out / f"profile-{name}.html").write_text(profiler.output_html())
                by_library, top = shares(profiler.last_session)
                summary[name] = {
                    "mean_ms": round(1000 * elapsed / requests, 2),
                    "shares_percent": by_library,
                    "top_self_time": top,
                }
    finally:
        await db.disconnect()
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--operations", default="PortalHome,ProjectPage,TaskPage")
    parser.add_argument("--backend", type=Path, default=run.ROOT / "backend")
    args = parser.parse_args(argv)
    backend = args.backend.resolve()
    if (backend / "backend" / "clientela").is_dir():
        backend = backend / "backend"
    sys.path.insert(0, str(backend))
    os.environ["CLIENTELA_SECRET_KEY"] = generate.SECRET_KEY
    info = run.ensure_dataset(args.tasks, args.seed)
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    summary = asyncio.run(
        profile(generate.default_url(args.tasks, args.seed), info, args.operations.split(","), args.requests, run.RESULTS)
    )
    (run.RESULTS / "profile-summary.json").write_text(json.dumps(summary, indent=2))
    for name, figures in summary.items():
        print(f"\n{name}: {figures['mean_ms']} ms a request (in-process, sequential, under the profiler)")
        for part, percent in figures["shares_percent"].items():
            if percent >= 0.5:
                print(f"  {percent:5.1f}%  {part}")
        print("  most self time:")
        for function, percent in figures["top_self_time"][:8]:
            print(f"  {percent:5.1f}%  {function}")
    print(f"\nCall trees: {run.RESULTS}/profile-<operation>.txt and .html")


if __name__ == "__main__":
    main()
