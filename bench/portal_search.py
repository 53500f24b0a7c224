"""What finding items costs the portal: PortalSearch (PortalHome with a search and the
RECENTLY_UPDATED order, bench.run.PORTAL_SEARCH) against PortalHome, signed in as the benchmark's
client, timed in-process through the ASGI app on a copy of the dataset (the dataset itself is
left as it is), in alternating rounds.

    .venv/bin/python -m bench.portal_search [--tasks 100000] [--url sqlite:///path/bench.sqlite3]

SQL statements of one request for 5 and 50 items (the same for both sizes), and the median of
the rounds' mean milliseconds per request. Target: PortalSearch within 1.5x of PortalHome.
bench.run measures the same two over HTTP with wrk among its endpoints.

Writes bench/results/portal_search-<commit>.json.
"""

from __future__ import annotations

import statistics

from bench import run

ROUNDS = 7
PER_ROUND = 20


async def measure(url: str, seed: int) -> dict:
    from clientela import db
    from clientela.accounts import sessions
    from clientela.people.models import User

    # The generator's client viewer: the first person of the first client, who reaches items
    # through all three portal scopes.
    await db.connect(url)
    try:
        client = await User.get(email="person0@client00.example")
        token = (await sessions.start(client, kept=False)).token
    finally:
        await db.disconnect()
    cases = {
        "PortalHome": (token, run.graphql_body("PortalHome", {"first": 50})),
        "PortalSearch": (token, run.portal_search_body(50)),
    }
    small = {
        "PortalHome (5 items)": (token, run.graphql_body("PortalHome", {"first": 5})),
        "PortalSearch (5 items)": (token, run.portal_search_body(5)),
    }
    statements = await run.in_process(url, {**cases, **small}, timing_requests=0)
    rounds: dict[str, list[float]] = {name: [] for name in cases}
    for index in range(ROUNDS):
        order = list(cases) if index % 2 == 0 else list(reversed(cases))
        for name in order:
            timed = await run.in_process(url, {name: cases[name]}, timing_requests=PER_ROUND)
            rounds[name].append(timed[name]["in_process_ms"])
    medians = {name: round(statistics.median(times), 2) for name, times in rounds.items()}
    return {
        "search": run.SEARCH,
        "statements": {name: figures["statements"] for name, figures in statements.items()},
        "ms_per_request": medians,
        "ms_per_round": rounds,
        "ratio": round(medians["PortalSearch"] / medians["PortalHome"], 2),
        "target_ratio": run.SEARCH_RATIO_LIMIT,
    }


def met(result: dict) -> bool:
    counts = result["statements"]
    constant = all(counts[name] == counts[f"{name} (5 items)"] for name in ("PortalHome", "PortalSearch"))
    return constant and result["ratio"] <= run.SEARCH_RATIO_LIMIT


def main(argv: list[str] | None = None) -> None:
    run.measure_on_a_copy("portal_search", __doc__, measure, argv, met)


if __name__ == "__main__":
    main()
