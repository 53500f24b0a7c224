"""The benchmark, in one command (from the repository root):

    .venv/bin/python -m bench.run                      # 100,000 tasks, about 5 minutes on 2 cores
    .venv/bin/python -m bench.run --scale-tasks 1000000   # adds PortalHome on a 1,000,000-task copy

It generates the dataset if it is missing (bench/generate.py), counts the SQL statements each
operation sends (in-process, through Tortoise's `tortoise.db_client` logger), then starts the
service (`uvicorn clientela.app:create_app --factory --workers 1`) and the floor
(bench/floor.py) as separate processes on loopback ports, checks that the floor answers the
same data as PortalHome, warms up, and drives each endpoint in turn with wrk (32 connections),
alternating the order every round so that machine noise hits all alike. It prints requests/s,
p50 and p99 per endpoint with its ratio to the floor, and writes bench/results/<timestamp>.json.

Endpoints: PortalHome (50 items, signed in as a client who reaches items through all three
portal scopes), PortalSearch (the same with a search and the RECENTLY_UPDATED order, see
PORTAL_SEARCH), ProjectPage and TaskPage (signed in as a staff member of the project), and the
floor (the PortalHome data from hand-written SQL). The operations are the contract's own, read
from tests/contract/.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import generate, processes

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CONTRACT = ROOT / "tests" / "contract"

TARGET_FRACTION_OF_FLOOR = 1 / 6
MEMORY_LIMIT_MIB = 150
# --quick: one short round on a small dataset generated anew, so that CI notices a benchmark that
# no longer runs (scripts/test.sh); its figures mean nothing.
QUICK = {"tasks": 1_000, "rounds": 1, "seconds": 1, "warmup": 0, "timing_requests": 3}
SCALE_P50_LIMIT = 1.5


def operation(name: str) -> str:
    """One named operation of the contract, as text."""
    from graphql import OperationDefinitionNode, parse, print_ast

    for path in sorted(CONTRACT.glob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name and definition.name.value == name:
                return print_ast(definition)
    raise SystemExit(f"operation {name} not found in {CONTRACT}")


@dataclass
class Endpoint:
    name: str
    port: int
    path: str
    token: str
    body: dict
    rounds: list[dict] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def request(self) -> dict:
        req = urllib.request.Request(
            self.url,
            data=json.dumps(self.body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read())


def graphql_body(name: str, variables: dict) -> dict:
    return {"query": operation(name), "operationName": name, "variables": variables}


# PortalHome as the portal sends it to find items (issue 18): a search and another order. Not
# the contract's (its PortalHome takes neither); the portal's item list with its filters.
PORTAL_SEARCH = (
    operation("PortalHome")
    .replace(
        "query PortalHome($first: Int, $after: String)",
        "query PortalSearch($first: Int, $after: String, $search: String, $orderBy: TaskOrder!)",
    )
    .replace(
        "portalItems(first: $first, after: $after)",
        "portalItems(first: $first, after: $after, search: $search, orderBy: $orderBy)",
    )
)
# A word of the generated titles and descriptions (bench/generate.py WORDS), found in about one
# item in eight, newest change first.
SEARCH = {"search": "invoice", "orderBy": "RECENTLY_UPDATED"}
SEARCH_RATIO_LIMIT = 1.5


def portal_search_body(first: int) -> dict:
    if "PortalSearch(" not in PORTAL_SEARCH or "search: $search" not in PORTAL_SEARCH:
        raise SystemExit("PortalHome changed: bench.run.PORTAL_SEARCH no longer adds its search")
    return {"query": PORTAL_SEARCH, "operationName": "PortalSearch", "variables": {"first": first, **SEARCH}}


BACKEND = ROOT / "backend"
LOGS: Path | None = None


# The fair-use budgets, raised so that the benchmark's load (one session at hundreds of requests
# per second) is measured, not throttled. How often a process settles a session's budget with the
# database stays the default (once every 20 requests), so its cost is in the figures.
FAIR_USE = {
    "fair_use_requests_per_second": 1_000_000.0,
    "fair_use_burst": 1_000_000,
    "fair_use_expensive_per_minute": 1_000_000.0,
    "fair_use_expensive_burst": 1_000_000,
    "fair_use_waiting_requests": 1_000_000,
}


def service_env(url: str, backend: Path | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        CLIENTELA_DATABASE_URL=url,
        CLIENTELA_DEVELOPMENT="false",
        CLIENTELA_SECRET_KEY=generate.SECRET_KEY,
        PYTHONPATH=f"{backend or BACKEND}{os.pathsep}{ROOT}",
        **{f"CLIENTELA_{name.upper()}": str(value) for name, value in FAIR_USE.items()},
    )
    env.pop("CLIENTELA_SMTP_HOST", None)  # emails stay in the outbox
    return env


# --- SQL statements per request, in-process ---------------------------------------------------


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip().upper()
        if message.startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            self.count += 1


# A case named "… (total not cached)" drops the per-process portal totals before every timed
# request: the cost of a client's first page after a write to the workspace. Statements are
# always counted with the totals dropped.
TOTAL_NOT_CACHED = "(total not cached)"


async def in_process(url: str, cases: dict[str, tuple[str, dict]], timing_requests: int) -> dict:
    """For each case (name -> (token, body)): SQL statements of one request, and the mean time
    of sequential requests through the ASGI app (no HTTP, no concurrency)."""
    import httpx

    from clientela import db
    from clientela.app import create_app
    from clientela.settings import Settings
    from clientela.tasks.services import _CLIENT_COUNTS as client_counts

    settings = Settings(database_url=url, development=False, secret_key=generate.SECRET_KEY, **FAIR_USE)
    app = create_app(settings, run_email_worker=False, manage_database=False)
    logger = logging.getLogger("tortoise.db_client")
    results = {}
    await db.connect(url)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for name, (token, body) in cases.items():
                headers = {"Authorization": f"Bearer {token}"}
                counter = _Count()
                logger.addHandler(counter)
                old_level = logger.level
                logger.setLevel(logging.DEBUG)
                client_counts.clear()  # statements of the whole path, the portal total included
                try:
                    response = await client.post("/graphql", json=body, headers=headers)
                finally:
                    logger.removeHandler(counter)
                    logger.setLevel(old_level)
                payload = response.json()
                if payload.get("errors"):
                    raise SystemExit(f"{name}: {payload['errors']}")
                started = time.perf_counter()
                for _ in range(timing_requests):
                    if name.endswith(TOTAL_NOT_CACHED):
                        client_counts.clear()
                    await client.post("/graphql", json=body, headers=headers)
                elapsed = (time.perf_counter() - started) / max(timing_requests, 1)
                results[name] = {"statements": counter.count, "in_process_ms": round(elapsed * 1000, 2)}
    finally:
        await db.disconnect()
    return results


# --- the run -----------------------------------------------------------------------------------


def ensure_dataset(tasks: int, seed: int, url: str | None = None, fresh: bool = False) -> dict:
    """The generated dataset at `url` (default: the SQLite file under bench/results/), generated
    when it is missing, of another size or seed, made at another migration, or `fresh` is asked
    for."""
    url = url or generate.default_url(tasks, seed)
    info_path = generate.viewers_file(url)
    there = url.startswith("sqlite://") or asyncio.run(generate.postgres_database_exists(url))
    if info_path.exists() and there and not fresh:
        info = json.loads(info_path.read_text())
        if info.get("tasks") == tasks and info.get("seed") == seed and info.get("migration") == generate.latest_migration():
            return info | {"url": url}  # where it is now, should its files have been moved
    print(f"Generating the {tasks:,}-task dataset at {url} ...", flush=True)
    return asyncio.run(generate.generate(url, tasks, seed))


def postgres_dataset_url(server: str, tasks: int | str, seed: int) -> str:
    """A dataset's database on the benchmark's PostgreSQL server, named after its size and seed."""
    return f"{server}/bench_{tasks}" + ("" if seed == 1 else f"_s{seed}")


def endpoints_for(info: dict, service_port: int, floor_port: int | None, suffix: str = "") -> list[Endpoint]:
    tokens = info["tokens"]
    found = [
        Endpoint("PortalHome" + suffix, service_port, "/graphql", tokens["client"], graphql_body("PortalHome", {"first": 50})),
        Endpoint("PortalSearch" + suffix, service_port, "/graphql", tokens["client"], portal_search_body(50)),
        Endpoint(
            "ProjectPage" + suffix,
            service_port,
            "/graphql",
            tokens["staff"],
            graphql_body("ProjectPage", {"id": info["project_id"]}),
        ),
        Endpoint(
            "TaskPage" + suffix, service_port, "/graphql", tokens["staff"], graphql_body("TaskPage", {"id": info["task_id"]})
        ),
    ]
    if floor_port:
        found.append(Endpoint("floor" + suffix, floor_port, "/portal-home", tokens["client"], {"variables": {"first": 50}}))
    return found


def check(endpoints: list[Endpoint]) -> None:
    """Every endpoint answers without errors, and the floor answers what PortalHome answers."""
    answers = {}
    for endpoint in endpoints:
        try:
            answer = endpoint.request()
        except urllib.error.HTTPError as error:
            time.sleep(1)  # the server logs the traceback after it has answered
            logs = "".join(p.read_text(errors="replace") for p in LOGS.glob("*.log")) if LOGS else ""
            hint = ""
            if "No TortoiseContext is currently active" in logs:
                hint = (
                    "\nThe service cannot reach Tortoise from its request tasks: uvicorn runs the lifespan (where "
                    "db.connect calls Tortoise.init) in another task. Tortoise.init(..., _enable_global_fallback=True) "
                    "in clientela/db.py:connect fixes it."
                )
            raise SystemExit(
                f"{endpoint.name} answered HTTP {error.code}: {error.read()[:300]!r} (server logs in {LOGS}){hint}"
            ) from None
        if answer.get("errors") or not answer.get("data"):
            raise SystemExit(f"{endpoint.name} answered {json.dumps(answer)[:500]}")
        answers[endpoint.name] = answer["data"]
    for name in answers:
        if name.startswith("floor"):
            portal = answers["PortalHome" + name.removeprefix("floor")]
            if answers[name] != portal:
                raise SystemExit(
                    f"{name} and PortalHome disagree:\n{json.dumps(answers[name])[:800]}\n{json.dumps(portal)[:800]}"
                )
    summary = {n: (a.get("portalItems") or {}).get("totalCount") for n, a in answers.items() if "portalItems" in a}
    print(f"Checked: every endpoint answers; the floor's data equals PortalHome's (totalCount {summary})", flush=True)


def summarize(endpoint: Endpoint) -> dict:
    rounds = endpoint.rounds
    return {
        "rps": round(statistics.median(r["rps"] for r in rounds), 1),
        "p50_ms": round(statistics.median(r["p50_us"] for r in rounds) / 1000, 2),
        "p99_ms": round(statistics.median(r["p99_us"] for r in rounds) / 1000, 2),
        "rps_per_round": [round(r["rps"], 1) for r in rounds],
        "requests": sum(r["requests"] for r in rounds),
        "failed": sum(r["failed"] + r["socket_errors"] for r in rounds),
    }


def versions() -> dict:
    from importlib.metadata import version

    packages = ("strawberry-graphql", "graphql-core", "starlette", "uvicorn", "uvloop", "httptools", "tortoise-orm", "aiosqlite")
    found = {}
    for package in packages:
        try:
            found[package] = version(package)
        except Exception:
            found[package] = None
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {"python": platform.python_version(), "wrk": wrk_version.strip(), **found}


def git_commit(tree: Path = ROOT / "backend") -> str | None:
    """The commit of the source tree measured (a worktree given with --backend has its own), not
    of the checkout bench/ runs from; None for an exported copy outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "."], cwd=tree, capture_output=True, text=True).stdout
        return out.stdout.strip() + ("+dirty" if dirty.strip() else "")
    except Exception:
        return None


def source_tree(path: Path) -> Path:
    path = path.resolve()
    if (path / "backend" / "clientela").is_dir():  # a source tree's root was given
        path = path / "backend"
    if not (path / "clientela").is_dir():
        raise SystemExit(f"no clientela package in {path}")
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-port", type=int, default=processes.POSTGRES_PORT, help="of the benchmark's own PostgreSQL server")
    parser.add_argument(
        "--quick", action="store_true", help="one short round on a small dataset made anew: does the benchmark run?"
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument(
        "--scale-tasks", type=int, default=0, help="also run PortalHome (and the floor) on a dataset of this size"
    )
    parser.add_argument(
        "--two-workers", action="store_true", help="also run the GraphQL endpoints on a service of 2 uvicorn workers"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint per round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per endpoint before the rounds")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--only", help="comma-separated endpoint names (the floor always runs)")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/<timestamp>.json)")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also measure the GraphQL endpoints of another source tree in the same run (named [NAME])",
    )
    parser.add_argument(
        "--backend", type=Path, default=ROOT / "backend",
        help="the clientela source tree to measure (default: this repository's backend/; e.g. an exported commit)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.timing_requests = 30
    if args.quick:
        vars(args).update(QUICK, scale_tasks=0)
    return args


def datasets(args: argparse.Namespace, scratch: Path) -> tuple[dict, dict | None]:
    """The dataset measured, and the larger one when --scale-tasks asks for it."""
    if args.database == "postgres":
        server = processes.start_postgres(args.pg_port)
        if args.quick:
            return ensure_dataset(args.tasks, args.seed, postgres_dataset_url(server, "quick", args.seed), fresh=True), None
        info = ensure_dataset(args.tasks, args.seed, postgres_dataset_url(server, args.tasks, args.seed))
        scale = args.scale_tasks and ensure_dataset(
            args.scale_tasks, args.seed, postgres_dataset_url(server, args.scale_tasks, args.seed)
        )
        return info, scale or None
    if args.quick:
        return ensure_dataset(args.tasks, args.seed, f"sqlite://{scratch / 'bench-quick.sqlite3'}", fresh=True), None
    return ensure_dataset(args.tasks, args.seed), (ensure_dataset(args.scale_tasks, args.seed) if args.scale_tasks else None)


def count_statements(args: argparse.Namespace, info: dict, scale_info: dict | None) -> dict:
    """SQL statements per request and in-process time of each operation, before any server runs."""
    print("Counting SQL statements per request (in-process) ...", flush=True)
    small = graphql_body("PortalHome", {"first": 5})
    project_small = dict(graphql_body("ProjectPage", {"id": info["project_id"]}))
    project_small["query"] = project_small["query"].replace("tasks(first: 50)", "tasks(first: 5)")
    cases = {e.name: (e.token, e.body) for e in endpoints_for(info, 0, None)}
    cases["PortalHome (5 items)"] = (info["tokens"]["client"], small)
    cases["PortalSearch (5 items)"] = (info["tokens"]["client"], portal_search_body(5))
    cases["ProjectPage (5 tasks)"] = (info["tokens"]["staff"], project_small)
    cases[f"PortalHome {TOTAL_NOT_CACHED}"] = cases["PortalHome"]
    statements = asyncio.run(in_process(info["url"], cases, args.timing_requests))
    if scale_info:
        scale_cases = {"PortalHome": (scale_info["tokens"]["client"], cases["PortalHome"][1])}
        scale_cases[f"PortalHome {TOTAL_NOT_CACHED}"] = scale_cases["PortalHome"]
        scaled = asyncio.run(in_process(scale_info["url"], scale_cases, args.timing_requests))
        statements[f"PortalHome@{args.scale_tasks}"] = scaled["PortalHome"]
        statements[f"PortalHome@{args.scale_tasks} {TOTAL_NOT_CACHED}"] = scaled[f"PortalHome {TOTAL_NOT_CACHED}"]
    return statements


TWO_WORKERS = "[2 workers]"


def measure(
    args, info: dict, scale_info: dict | None, also: dict[str, Path], scratch: Path, statements: dict
) -> tuple[list[Endpoint], dict]:
    """Starts the servers, checks them, drives every endpoint with wrk in rotating rounds; returns
    the endpoints with their rounds, and the resident memory of each server after the rounds."""
    servers: dict[str, subprocess.Popen] = {}

    def start(name: str, app: str, url: str, tree: Path | None = None, workers: int = 1) -> int:
        port = processes.free_port()
        servers[name] = processes.start_server(app, port, service_env(url, tree), scratch / f"{name}.log", workers)
        return port

    try:
        service_port = start("service", "clientela.app:create_app", info["url"])
        floor_port = start("floor", "bench.floor:create_app", info["url"])
        endpoints = endpoints_for(info, service_port, floor_port)
        if args.only:
            wanted = set(args.only.split(",")) | {"floor"}
            endpoints = [e for e in endpoints if e.name in wanted]
        if scale_info:
            suffix = f"@{args.scale_tasks}"
            scale_port = start(f"service{suffix}", "clientela.app:create_app", scale_info["url"])
            scale_floor_port = start(f"floor{suffix}", "bench.floor:create_app", scale_info["url"])
            scaled = endpoints_for(scale_info, scale_port, scale_floor_port, suffix)
            endpoints += [e for e in scaled if e.name.startswith(("PortalHome", "floor"))]
        for name, tree in also.items():
            endpoints += [
                e
                for e in endpoints_for(
                    info, start(f"service[{name}]", "clientela.app:create_app", info["url"], tree), None, f"[{name}]"
                )
                if not args.only or e.name.removesuffix(f"[{name}]") in args.only.split(",")
            ]
        if args.two_workers:
            port = start(f"service{TWO_WORKERS}", "clientela.app:create_app", info["url"], workers=2)
            endpoints += [
                e
                for e in endpoints_for(info, port, None, TWO_WORKERS)
                if not args.only or e.name.removesuffix(TWO_WORKERS) in args.only
            ]
        check(endpoints)
        running = list(servers.values())

        floor_before = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{floor_port}/statements").read())["statements"]
        next(e for e in endpoints if e.name == "floor").request()
        floor_after = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{floor_port}/statements").read())["statements"]
        statements["floor"] = {"statements": floor_after - floor_before}

        if args.warmup:
            print(f"Warming up ({args.warmup:g} s each) ...", flush=True)
        for endpoint in endpoints if args.warmup else ():
            processes.wrk(endpoint, args.warmup, args.connections, scratch, args.wrk_threads)
            processes.wait_idle(running)
        total = args.rounds * len(endpoints) * args.seconds
        print(f"Measuring: {args.rounds} rounds x {len(endpoints)} endpoints x {args.seconds:g} s = {total:.0f} s", flush=True)
        for r in range(args.rounds):
            order = endpoints[r % len(endpoints) :] + endpoints[: r % len(endpoints)]
            if r % 2:
                order.reverse()
            for endpoint in order:
                result = processes.wrk(endpoint, args.seconds, args.connections, scratch, args.wrk_threads)
                endpoint.rounds.append(result)
                processes.wait_idle(running)
                print(
                    f"  round {r + 1} {endpoint.name:<26} {result['rps']:9.1f} req/s  p50 {result['p50_us'] / 1000:7.2f} ms"
                    f"  p99 {result['p99_us'] / 1000:7.2f} ms",
                    flush=True,
                )
        # Each API process's own memory (the workers of a multi-worker service, not its supervisor).
        memory = {}
        for name, server in servers.items():
            workers = processes.uvicorn_workers(server.pid) if name.endswith(TWO_WORKERS) else [server.pid]
            memory[name] = [processes.rss_mib(pid) for pid in workers]
        return endpoints, memory
    finally:
        for server in servers.values():
            processes.stop(server)


def targets_of(args, report: dict, statements: dict, memory: dict) -> dict:
    targets = {
        "fraction_of_floor": TARGET_FRACTION_OF_FLOOR,
        "portal_home_statements_5_vs_50": [
            statements["PortalHome (5 items)"]["statements"],
            statements["PortalHome"]["statements"],
        ],
        "project_page_statements_5_vs_50": [
            statements["ProjectPage (5 tasks)"]["statements"],
            statements["ProjectPage"]["statements"],
        ],
        "portal_search_statements_5_vs_50": [
            statements["PortalSearch (5 items)"]["statements"],
            statements["PortalSearch"]["statements"],
        ],
        "memory_mib_after_the_rounds": memory,
        "memory_limit_mib": MEMORY_LIMIT_MIB,
        "memory_ok": all(mib <= MEMORY_LIMIT_MIB for name, each in memory.items() if name.startswith("service") for mib in each),
    }
    if "PortalSearch" in report:
        # The portal's search and order against its plain first page: within SEARCH_RATIO_LIMIT.
        ratio = report["PortalHome"]["p50_ms"] / report["PortalSearch"]["p50_ms"]
        targets["portal_search_p50_vs_portal_home"] = round(1 / ratio, 2)
        targets["portal_search_ok"] = 1 / ratio <= SEARCH_RATIO_LIMIT
    if args.scale_tasks:
        key = f"PortalHome@{args.scale_tasks}"
        ratio = report[key]["p50_ms"] / report["PortalHome"]["p50_ms"]
        targets["p50_scale_ratio"] = round(ratio, 2)
        targets["p50_scale_ok"] = ratio <= SCALE_P50_LIMIT
        floor_key = f"floor@{args.scale_tasks}"
        targets["floor_p50_scale_ratio"] = round(report[floor_key]["p50_ms"] / report["floor"]["p50_ms"], 2)
    if args.two_workers:
        targets["two_workers_over_one"] = {
            name.removesuffix(TWO_WORKERS): round(figures["rps"] / report[name.removesuffix(TWO_WORKERS)]["rps"], 2)
            for name, figures in report.items()
            if name.endswith(TWO_WORKERS) and name.removesuffix(TWO_WORKERS) in report
        }
    return targets


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    global BACKEND, LOGS
    BACKEND = source_tree(args.backend)
    also = {name: source_tree(Path(path)) for name, _, path in (item.partition("=") for item in args.also)}
    os.environ["CLIENTELA_SECRET_KEY"] = generate.SECRET_KEY  # token hashes, in-process as in the servers
    sys.path.insert(0, str(BACKEND))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get update && apt-get install -y wrk")

    # Stopped with SIGTERM, still stop the servers (measure's finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    scratch = LOGS = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    info, scale_info = datasets(args, scratch)
    statements = count_statements(args, info, scale_info)
    endpoints, memory = measure(args, info, scale_info, also, scratch, statements)

    report = {e.name: summarize(e) for e in endpoints}
    for name, figures in report.items():
        floor_name = "floor" + (name[name.index("@") :] if "@" in name else "")
        floor_rps = report[floor_name]["rps"]
        figures["fraction_of_floor"] = round(figures["rps"] / floor_rps, 4)
        figures["times_slower_than_floor"] = round(floor_rps / figures["rps"], 1) if figures["rps"] else None
        figures.update(statements.get(name, {}))
        if not name.startswith("floor"):
            figures["meets_target"] = figures["fraction_of_floor"] >= TARGET_FRACTION_OF_FLOOR

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = args.output or (scratch if args.quick else RESULTS) / f"{stamp}.json"
    document = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": stamp,
        "git": git_commit(BACKEND),
        "backend": str(BACKEND),
        "also": {name: str(tree) for name, tree in also.items()},
        "also_git": {name: git_commit(tree) for name, tree in also.items()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(),
        "database": args.database,
        "dataset": {k: info[k] for k in ("tasks", "seed", "rows", "seconds")},
        "scale_dataset": {k: scale_info[k] for k in ("tasks", "seed", "seconds")} if scale_info else None,
        "load": {
            "tool": "wrk",
            "connections": args.connections,
            "threads": args.wrk_threads,
            "rounds": args.rounds,
            "seconds": args.seconds,
        },
        "endpoints": report,
        "statements_in_process": statements,
        "targets": targets_of(args, report, statements, memory),
        "seconds": round(time.monotonic() - started, 1),
    }
    output.write_text(json.dumps(document, indent=2))
    print_table(document)
    print(f"\nWritten to {output}")
    failed = {name: figures["failed"] for name, figures in report.items() if figures["failed"]}
    if failed:
        raise SystemExit(f"Requests failed (HTTP errors, GraphQL errors or socket errors): {failed}")


def print_table(document: dict) -> None:
    print()
    header = f"{'endpoint':<26} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of floor':>9} {'x slower':>9} {'SQL/req':>8} {'in-proc ms':>10}"
    print(header)
    print("-" * len(header))
    for name, f in document["endpoints"].items():
        print(
            f"{name:<26} {f['rps']:>9.1f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} {f['fraction_of_floor']:>9.3f}"
            f" {f['times_slower_than_floor'] or 0:>9.1f} {f.get('statements', '-'):>8} {f.get('in_process_ms', '-'):>10}"
        )
    print("\nIn-process (sequential requests through the ASGI app, no HTTP):")
    for name, f in document["statements_in_process"].items():
        print(f"  {name:<52} {f.get('in_process_ms', '-'):>8} ms  {f['statements']} SQL")
    t = document["targets"]
    print(
        f"\nTarget: each GraphQL endpoint at >= {t['fraction_of_floor']:.3f} of the floor's requests/s ({document['database']})."
    )
    print(
        f"SQL statements, 5 vs 50 items: PortalHome {t['portal_home_statements_5_vs_50']}, ProjectPage {t['project_page_statements_5_vs_50']}"
    )
    print(
        f"Resident memory after the rounds, MiB (limit {t['memory_limit_mib']} for an API process): {t['memory_mib_after_the_rounds']}"
    )
    if "p50_scale_ratio" in t:
        print(
            f"p50 at the larger size / p50 at {document['dataset']['tasks']:,}: PortalHome {t['p50_scale_ratio']} (limit {SCALE_P50_LIMIT}), floor {t['floor_p50_scale_ratio']}"
        )
    if "two_workers_over_one" in t:
        print(f"Requests/s of 2 uvicorn workers over 1: {t['two_workers_over_one']}")


if __name__ == "__main__":
    main()
