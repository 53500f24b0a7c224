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
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from bench import generate

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CONTRACT = ROOT / "tests" / "contract"
PYTHON = sys.executable

TARGET_FRACTION_OF_FLOOR = 1 / 8
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
    .replace("query PortalHome($first: Int, $after: String)", "query PortalSearch($first: Int, $after: String, $search: String, $orderBy: TaskOrder!)")
    .replace("portalItems(first: $first, after: $after)", "portalItems(first: $first, after: $after, search: $search, orderBy: $orderBy)")
)
# A word of the generated titles and descriptions (bench/generate.py WORDS), found in about one
# item in eight, newest change first.
SEARCH = {"search": "invoice", "orderBy": "RECENTLY_UPDATED"}
SEARCH_RATIO_LIMIT = 1.5


def portal_search_body(first: int) -> dict:
    if "PortalSearch(" not in PORTAL_SEARCH or "search: $search" not in PORTAL_SEARCH:
        raise SystemExit("PortalHome changed: bench.run.PORTAL_SEARCH no longer adds its search")
    return {"query": PORTAL_SEARCH, "operationName": "PortalSearch", "variables": {"first": first, **SEARCH}}


# --- wrk ---------------------------------------------------------------------------------------

LUA = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"

local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) gql_errors = 0 end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then gql_errors = gql_errors + 1 end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("gql_errors") end
  io.write(string.format(
    'BENCH_JSON {{"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"max_us":%d,"socket_errors":%d,"failed":%d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, failed))
end
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(processes: list[subprocess.Popen], timeout: float = 120) -> None:
    """wrk stops the clock with requests still queued in the server: wait until every server
    has drained them (under 5% of a core for 0.5 s), so that no endpoint pays for another's."""
    deadline = time.monotonic() + timeout
    last = {p.pid: cpu_seconds(p.pid) for p in processes}
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = {p.pid: cpu_seconds(p.pid) for p in processes}
        if all(now[pid] - last[pid] < 0.025 for pid in now):
            return
        last = now


def wrk(endpoint: Endpoint, seconds: float, connections: int, scripts: Path, threads: int) -> dict:
    script = scripts / f"{endpoint.name}.lua"
    if not script.exists():
        script.write_text(LUA.format(body=json.dumps(endpoint.body), token=endpoint.token))
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", str(script), endpoint.url],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next(row for row in out.splitlines() if row.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app: str, port: int, env: dict, log_path: Path) -> subprocess.Popen:
    command = [
        PYTHON, "-m", "uvicorn", app, "--factory", "--workers", "1", "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--log-level", "warning",
    ]
    log_file = open(log_path, "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{app} exited at start-up; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"{app} did not start; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


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


def ensure_dataset(tasks: int, seed: int) -> dict:
    url = generate.default_url(tasks, seed)
    info_path = generate.viewers_file(url)
    if info_path.exists():
        info = json.loads(info_path.read_text())
        if info.get("tasks") == tasks and info.get("seed") == seed:
            return info
    print(f"Generating the {tasks:,}-task dataset ...", flush=True)
    return asyncio.run(generate.generate(url, tasks, seed))


def measure_on_a_copy(name: str, description: str, measure, argv: list[str] | None, met) -> dict:
    """An in-process benchmark's command line (--tasks, --seed, --url, --output): `measure(url,
    seed)` run on a copy of a generated SQLite dataset (the dataset itself is left as it is),
    `met(result)` the verdict; the result written to bench/results/<name>-<commit>.json."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a generated SQLite dataset (default: the one bench.run uses, generated if missing)")
    parser.add_argument("--output", type=Path, help="where to write the result (JSON)")
    args = parser.parse_args(argv)

    source = args.url or ensure_dataset(args.tasks, args.seed)["url"]
    if not source.startswith("sqlite://"):
        raise SystemExit(f"bench.{name} works on a copy of a SQLite dataset")
    sys.path.insert(0, str(BACKEND))
    with tempfile.TemporaryDirectory(prefix=f"clientela-{name}-") as scratch:
        copy = Path(scratch) / f"{name}.sqlite3"
        # SQLite's backup: the copy has what is still in the write-ahead log too.
        with closing(sqlite3.connect(source.removeprefix("sqlite://"))) as original, closing(sqlite3.connect(copy)) as target:
            original.backup(target)
        result = asyncio.run(measure(f"sqlite://{copy}", args.seed))
    result |= {"dataset": source, "git": git_commit()}
    result["met"] = met(result)
    output = args.output or RESULTS / f"{name}-{result['git'] or 'unknown'}.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


def endpoints_for(info: dict, service_port: int, floor_port: int | None, suffix: str = "") -> list[Endpoint]:
    tokens = info["tokens"]
    found = [
        Endpoint("PortalHome" + suffix, service_port, "/graphql", tokens["client"], graphql_body("PortalHome", {"first": 50})),
        Endpoint("PortalSearch" + suffix, service_port, "/graphql", tokens["client"], portal_search_body(50)),
        Endpoint("ProjectPage" + suffix, service_port, "/graphql", tokens["staff"], graphql_body("ProjectPage", {"id": info["project_id"]})),
        Endpoint("TaskPage" + suffix, service_port, "/graphql", tokens["staff"], graphql_body("TaskPage", {"id": info["task_id"]})),
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
            raise SystemExit(f"{endpoint.name} answered HTTP {error.code}: {error.read()[:300]!r} (server logs in {LOGS}){hint}") from None
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--scale-tasks", type=int, default=0, help="also run PortalHome (and the floor) on a dataset of this size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=10, help="per endpoint per round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds per endpoint before the rounds")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--only", help="comma-separated endpoint names (the floor always runs)")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/<timestamp>.json)")
    parser.add_argument(
        "--also", action="append", default=[], metavar="NAME=PATH",
        help="also measure the GraphQL endpoints of another source tree in the same run (named [NAME])",
    )
    parser.add_argument(
        "--backend", type=Path, default=ROOT / "backend",
        help="the clientela source tree to measure (default: this repository's backend/; e.g. an exported commit)",
    )
    args = parser.parse_args(argv)
    global BACKEND
    BACKEND = source_tree(args.backend)
    also = {}
    for item in args.also:
        name, _, path = item.partition("=")
        also[name] = source_tree(Path(path))
    os.environ["CLIENTELA_SECRET_KEY"] = generate.SECRET_KEY  # token hashes, in-process as in the servers
    sys.path.insert(0, str(BACKEND))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get update && apt-get install -y wrk")

    # Stopped with SIGTERM, still stop the servers (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = ensure_dataset(args.tasks, args.seed)
    scale_info = ensure_dataset(args.scale_tasks, args.seed) if args.scale_tasks else None

    # SQL statements per request, and in-process time, before any server runs.
    print("Counting SQL statements per request (in-process) ...", flush=True)
    small = graphql_body("PortalHome", {"first": 5})
    project_small = dict(graphql_body("ProjectPage", {"id": info["project_id"]}))
    project_small["query"] = project_small["query"].replace("tasks(first: 50)", "tasks(first: 5)")
    cases = {e.name: (e.token, e.body) for e in endpoints_for(info, 0, None)}
    cases["PortalHome (5 items)"] = (info["tokens"]["client"], small)
    cases["PortalSearch (5 items)"] = (info["tokens"]["client"], portal_search_body(5))
    cases["ProjectPage (5 tasks)"] = (info["tokens"]["staff"], project_small)
    cases[f"PortalHome {TOTAL_NOT_CACHED}"] = cases["PortalHome"]
    statements = asyncio.run(in_process(generate.default_url(args.tasks, args.seed), cases, timing_requests=30))
    if scale_info:
        scale_cases = {"PortalHome": cases["PortalHome"]}
        scale_cases["PortalHome"] = (scale_info["tokens"]["client"], cases["PortalHome"][1])
        scale_cases[f"PortalHome {TOTAL_NOT_CACHED}"] = scale_cases["PortalHome"]
        scaled = asyncio.run(in_process(generate.default_url(args.scale_tasks, args.seed), scale_cases, timing_requests=30))
        statements[f"PortalHome@{args.scale_tasks}"] = scaled["PortalHome"]
        statements[f"PortalHome@{args.scale_tasks} {TOTAL_NOT_CACHED}"] = scaled[f"PortalHome {TOTAL_NOT_CACHED}"]

    scratch = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    global LOGS
    LOGS = scratch
    processes: list[subprocess.Popen] = []
    try:
        service_port, floor_port = free_port(), free_port()
        url = generate.default_url(args.tasks, args.seed)
        processes.append(start_server("clientela.app:create_app", service_port, service_env(url), scratch / "service.log"))
        processes.append(start_server("bench.floor:create_app", floor_port, service_env(url), scratch / "floor.log"))
        endpoints = endpoints_for(info, service_port, floor_port)
        if args.only:
            wanted = set(args.only.split(",")) | {"floor"}
            endpoints = [e for e in endpoints if e.name in wanted]
        if scale_info:
            scale_url = generate.default_url(args.scale_tasks, args.seed)
            scale_port, scale_floor_port = free_port(), free_port()
            processes.append(start_server("clientela.app:create_app", scale_port, service_env(scale_url), scratch / "service-scale.log"))
            processes.append(start_server("bench.floor:create_app", scale_floor_port, service_env(scale_url), scratch / "floor-scale.log"))
            suffix = f"@{args.scale_tasks}"
            endpoints += [e for e in endpoints_for(scale_info, scale_port, scale_floor_port, suffix) if e.name.startswith(("PortalHome", "floor"))]
        for name, tree in also.items():
            port = free_port()
            processes.append(start_server("clientela.app:create_app", port, service_env(url, tree), scratch / f"service-{name}.log"))
            endpoints += endpoints_for(info, port, None, f"[{name}]")
        check(endpoints)

        floor_before = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{floor_port}/statements").read())["statements"]
        next(e for e in endpoints if e.name == "floor").request()
        floor_after = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{floor_port}/statements").read())["statements"]
        statements["floor"] = {"statements": floor_after - floor_before}

        print(f"Warming up ({args.warmup:g} s each) ...", flush=True)
        for endpoint in endpoints:
            wrk(endpoint, args.warmup, args.connections, scratch, args.wrk_threads)
            wait_idle(processes)
        total = args.rounds * len(endpoints) * args.seconds
        print(f"Measuring: {args.rounds} rounds x {len(endpoints)} endpoints x {args.seconds:g} s = {total:.0f} s", flush=True)
        for r in range(args.rounds):
            order = endpoints[r % len(endpoints):] + endpoints[: r % len(endpoints)]
            if r % 2:
                order.reverse()
            for endpoint in order:
                result = wrk(endpoint, args.seconds, args.connections, scratch, args.wrk_threads)
                endpoint.rounds.append(result)
                wait_idle(processes)
                print(
                    f"  round {r + 1} {endpoint.name:<22} {result['rps']:9.1f} req/s  p50 {result['p50_us'] / 1000:7.2f} ms"
                    f"  p99 {result['p99_us'] / 1000:7.2f} ms",
                    flush=True,
                )
    finally:
        for process in processes:
            stop(process)

    report = {name: summarize(e) for name, e in ((e.name, e) for e in endpoints)}
    for name, figures in report.items():
        floor_name = "floor" + (name[name.index("@"):] if "@" in name else "")
        floor_rps = report[floor_name]["rps"]
        figures["fraction_of_floor"] = round(figures["rps"] / floor_rps, 4)
        figures["times_slower_than_floor"] = round(floor_rps / figures["rps"], 1) if figures["rps"] else None
        figures.update(statements.get(name, {}))
        if not name.startswith("floor"):
            figures["meets_target"] = figures["fraction_of_floor"] >= TARGET_FRACTION_OF_FLOOR
    targets = {
        "fraction_of_floor": TARGET_FRACTION_OF_FLOOR,
        "portal_home_statements_5_vs_50": [statements["PortalHome (5 items)"]["statements"], statements["PortalHome"]["statements"]],
        "project_page_statements_5_vs_50": [statements["ProjectPage (5 tasks)"]["statements"], statements["ProjectPage"]["statements"]],
        "portal_search_statements_5_vs_50": [
            statements["PortalSearch (5 items)"]["statements"], statements["PortalSearch"]["statements"]
        ],
    }
    if "PortalSearch" in report:
        # The portal's search and order against its plain first page: within SEARCH_RATIO_LIMIT.
        ratio = report["PortalHome"]["p50_ms"] / report["PortalSearch"]["p50_ms"]
        targets["portal_search_p50_vs_portal_home"] = round(1 / ratio, 2)
        targets["portal_search_ok"] = 1 / ratio <= SEARCH_RATIO_LIMIT
    if scale_info:
        key = f"PortalHome@{args.scale_tasks}"
        ratio = report[key]["p50_ms"] / report["PortalHome"]["p50_ms"]
        targets["p50_scale_ratio"] = round(ratio, 2)
        targets["p50_scale_ok"] = ratio <= SCALE_P50_LIMIT
        floor_key = f"floor@{args.scale_tasks}"
        targets["floor_p50_scale_ratio"] = round(report[floor_key]["p50_ms"] / report["floor"]["p50_ms"], 2)

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    output = args.output or RESULTS / f"{stamp}.json"
    document = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": stamp,
        "git": git_commit(BACKEND),
        "backend": str(BACKEND),
        "also": {name: str(tree) for name, tree in also.items()},
        "also_git": {name: git_commit(tree) for name, tree in also.items()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": versions(),
        "dataset": {k: info[k] for k in ("tasks", "seed", "rows", "seconds")},
        "scale_dataset": {k: scale_info[k] for k in ("tasks", "seed", "seconds")} if scale_info else None,
        "load": {"tool": "wrk", "connections": args.connections, "threads": args.wrk_threads, "rounds": args.rounds, "seconds": args.seconds},
        "endpoints": report,
        "statements_in_process": statements,
        "targets": targets,
        "seconds": round(time.monotonic() - started, 1),
    }
    output.write_text(json.dumps(document, indent=2))
    print_table(document)
    print(f"\nWritten to {output}")


def print_table(document: dict) -> None:
    print()
    header = f"{'endpoint':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of floor':>9} {'x slower':>9} {'SQL/req':>8} {'in-proc ms':>10}"
    print(header)
    print("-" * len(header))
    for name, f in document["endpoints"].items():
        print(
            f"{name:<22} {f['rps']:>9.1f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} {f['fraction_of_floor']:>9.3f}"
            f" {f['times_slower_than_floor'] or 0:>9.1f} {f.get('statements', '-'):>8} {f.get('in_process_ms', '-'):>10}"
        )
    print("\nIn-process (sequential requests through the ASGI app, no HTTP):")
    for name, f in document["statements_in_process"].items():
        print(f"  {name:<52} {f.get('in_process_ms', '-'):>8} ms  {f['statements']} SQL")
    t = document["targets"]
    print(f"\nTarget: each GraphQL endpoint at >= {t['fraction_of_floor']:.3f} of the floor's requests/s.")
    print(f"SQL statements, 5 vs 50 items: PortalHome {t['portal_home_statements_5_vs_50']}, ProjectPage {t['project_page_statements_5_vs_50']}")
    if "p50_scale_ratio" in t:
        print(f"p50 at the larger size / p50 at {document['dataset']['tasks']:,}: PortalHome {t['p50_scale_ratio']} (limit {SCALE_P50_LIMIT}), floor {t['floor_p50_scale_ratio']}")


if __name__ == "__main__":
    main()
