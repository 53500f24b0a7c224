"""The noisy-neighbour benchmark (from the repository root):

    .venv/bin/python -m bench.noisy                 # 100,000 tasks, about 3 minutes

One client browses the portal (PortalHome, 50 items) at a steady 10 requests/s, open loop, so
that a slow answer does not slow the arrivals down; meanwhile another session of each viewer
kind in turn (client, staff, admin; the noisy client is the same person in a session of its
own, as a script of theirs would be) loops the most expensive request that kind may send, over
8 connections, as fast as the service lets it. The most expensive request of each kind is
found first: each candidate is timed alone (median of 3) and the slowest that the kind may
send is the noise. The service runs as in production (one uvicorn worker, its default limits
and fair-use budgets), on the benchmark dataset (bench/generate.py).

Target: PortalHome's p99 under noise stays within 3× its quiet p99, and no request of the
quiet client fails. Results go to bench/results/noisy-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench import generate
from bench.processes import free_port, start_server, stop
from bench.run import FAIR_USE, RESULTS, ensure_dataset, graphql_body, service_env

QUIET_RATE = 10  # requests/s
NOISE_CONNECTIONS = 8
P99_LIMIT = 3.0
REPORT = {"from": "2022-01-01", "to": "2026-12-31"}


def candidates(info: dict) -> dict[str, dict[str, tuple[str, str, dict | None]]]:
    """Per viewer kind: name → (method, path, GraphQL body or None for a GET)."""
    project, task, organization = info["project_id"], info["task_id"], info["client_organization_id"]
    csv = f"/reports/time.csv?from={REPORT['from']}&to={REPORT['to']}"

    def gql(name: str, variables: dict | None = None) -> tuple[str, str, dict]:
        return ("POST", "/graphql", graphql_body(name, variables or {}))

    shared = {
        "PortalHome(first: 100)": gql("PortalHome", {"first": 100}),
        "ProjectPage": gql("ProjectPage", {"id": project}),
        "ProjectTasks(first: 100)": gql("ProjectTasks", {"projectId": project, "first": 100}),
        "TaskPage": gql("TaskPage", {"id": task}),
        "People": gql("People"),
        "Organizations": gql("Organizations"),
    }
    staff = {
        **shared,
        "Projects": gql("Projects", {}),
        "TimeReport (5 years)": gql("TimeReport", REPORT),
        "time.csv (5 years)": ("GET", csv, None),
    }
    return {
        "client": {
            **shared,
            "PortalProjects": gql("PortalProjects"),
            "OrganizationPage": gql("OrganizationPage", {"id": organization}),
        },
        "staff": staff,
        "admin": {**staff, "OrganizationPage": gql("OrganizationPage", {"id": organization})},
    }


async def send(client: httpx.AsyncClient, token: str, request: tuple[str, str, dict | None]) -> tuple[float, str]:
    """One request: its time in ms and its outcome ("ok", an error code, or an HTTP status)."""
    method, path, body = request
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    try:
        if method == "GET":
            async with client.stream("GET", path, headers=headers) as response:
                async for _ in response.aiter_bytes():
                    pass
                outcome = "ok" if response.status_code == 200 else f"HTTP {response.status_code}"
        else:
            response = await client.post(path, json=body, headers=headers)
            errors = response.json().get("errors") if response.status_code == 200 else None
            outcome = (
                (errors[0].get("extensions", {}).get("code", "error") if errors else "ok")
                if response.status_code == 200
                else f"HTTP {response.status_code}"
            )
    except httpx.HTTPError as error:
        outcome = type(error).__name__
    return (time.perf_counter() - started) * 1000, outcome


async def most_expensive(client: httpx.AsyncClient, token: str, requests: dict) -> tuple[str, dict]:
    costs = {}
    for name, request in requests.items():
        runs = [await send(client, token, request) for _ in range(3)]
        costs[name] = {"ms": round(statistics.median(ms for ms, _ in runs), 1), "outcome": runs[-1][1]}
    allowed = {name: cost for name, cost in costs.items() if cost["outcome"] == "ok"}
    return max(allowed, key=lambda name: allowed[name]["ms"]), costs


async def quiet_client(client: httpx.AsyncClient, token: str, seconds: float) -> dict:
    """PortalHome at QUIET_RATE requests/s for `seconds`, open loop."""
    body = ("POST", "/graphql", graphql_body("PortalHome", {"first": 50}))
    tasks = []
    started = time.perf_counter()
    for n in range(int(seconds * QUIET_RATE)):
        await asyncio.sleep(max(0.0, started + n / QUIET_RATE - time.perf_counter()))
        tasks.append(asyncio.create_task(send(client, token, body)))
    results = await asyncio.gather(*tasks)
    times = sorted(ms for ms, _ in results)
    return {
        "requests": len(results),
        "failed": sum(outcome != "ok" for _, outcome in results),
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
    }


async def noise(client: httpx.AsyncClient, token: str, request: tuple, stop_at: float) -> dict:
    outcomes: dict[str, int] = {}

    async def loop() -> None:
        while time.perf_counter() < stop_at:
            _, outcome = await send(client, token, request)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome == "RATE_LIMITED":
                await asyncio.sleep(0.05)  # a script that retries at once, nearly

    await asyncio.gather(*(loop() for _ in range(NOISE_CONNECTIONS)))
    return outcomes


async def noise_sessions(info: dict) -> dict[str, str]:
    """A new session for each viewer kind, apart from the quiet client's."""
    from clientela import db
    from clientela.accounts.models import Session
    from clientela.accounts.tokens import new_token, token_hash

    await db.connect(info["url"])
    tokens = {}
    try:
        for kind in ("client", "staff", "admin"):
            tokens[kind] = new_token()
            await Session.create(
                user_id=info[f"{kind}_user_id"],
                token_hash=token_hash(tokens[kind]),
                kept=True,
                idle_expires_at=generate.SESSIONS_END,
                expires_at=generate.SESSIONS_END,
            )
    finally:
        await db.disconnect()
    return tokens


async def measure(url: str, info: dict, seconds: float, noise_tokens: dict[str, str]) -> dict:
    quiet_token = info["tokens"]["client"]
    limits = httpx.Limits(max_connections=64)
    async with (
        httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as quiet,
        httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as noisy,
    ):
        costs, worst = {}, {}
        for kind, requests in candidates(info).items():
            worst[kind], costs[kind] = await most_expensive(noisy, noise_tokens[kind], requests)
        await asyncio.sleep(2)
        baseline = await quiet_client(quiet, quiet_token, seconds)
        runs = {}
        for kind, name in worst.items():
            await asyncio.sleep(2)
            stop_at = time.perf_counter() + seconds
            request = candidates(info)[kind][name]
            loud, outcomes = await asyncio.gather(
                quiet_client(quiet, quiet_token, seconds), noise(noisy, noise_tokens[kind], request, stop_at)
            )
            loud["p99_ratio"] = round(loud["p99_ms"] / baseline["p99_ms"], 2)
            runs[kind] = {"noise": name, "noise_outcomes": outcomes, "portal_home": loud}
    return {"costs_ms": costs, "most_expensive": worst, "quiet": baseline, "under_noise": runs}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20, help="per phase")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    info = ensure_dataset(args.tasks, args.seed)
    os.environ["CLIENTELA_SECRET_KEY"] = info["secret_key"]  # the dataset's sessions are hashed with it
    noise_tokens = asyncio.run(noise_sessions(info))
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="clientela-noisy-")) / "service.log"
    env = service_env(info["url"])
    for name in FAIR_USE:  # the service as it runs in production: default budgets
        env.pop(f"CLIENTELA_{name.upper()}")
    server = start_server("clientela.app:create_app", port, env, log)
    try:
        result = asyncio.run(measure(f"http://127.0.0.1:{port}", info, args.seconds, noise_tokens))
    finally:
        stop(server)
    worst_ratio = max(run["portal_home"]["p99_ratio"] for run in result["under_noise"].values())
    failed = sum(run["portal_home"]["failed"] for run in result["under_noise"].values()) + result["quiet"]["failed"]
    result.update(tasks=args.tasks, target_met=worst_ratio <= P99_LIMIT and failed == 0, worst_p99_ratio=worst_ratio)
    output = args.output or RESULTS / f"noisy-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2))

    print(f"PortalHome alone at {QUIET_RATE}/s: p50 {result['quiet']['p50_ms']} ms, p99 {result['quiet']['p99_ms']} ms")
    for kind, run in result["under_noise"].items():
        home = run["portal_home"]
        cost = result["costs_ms"][kind][run["noise"]]["ms"]
        print(
            f"  with a {kind} looping {run['noise']} ({cost} ms alone) ×{NOISE_CONNECTIONS}: p50 {home['p50_ms']} ms, "
            f"p99 {home['p99_ms']} ms ({home['p99_ratio']}× quiet), failed {home['failed']}; noise outcomes {run['noise_outcomes']}"
        )
    print(f"target (p99 ≤ {P99_LIMIT}× quiet, no failures): {'met' if result['target_met'] else 'NOT met'}; {output}")


if __name__ == "__main__":
    main()
