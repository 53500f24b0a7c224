"""The processes a benchmark runs beside itself: servers on loopback ports (uvicorn), the
benchmark's own PostgreSQL server, the load (wrk), and what the servers use of the machine (CPU
time, resident memory)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The benchmark's PostgreSQL server runs on a port of its own, away from the test suite's.
POSTGRES_PORT = int(os.environ.get("CLIENTELA_BENCH_PG_PORT", "54339"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app: str, port: int, env: dict, log_path: Path, workers: int = 1) -> subprocess.Popen:
    """`uvicorn <app> --factory` on a loopback port, returned once it accepts connections. With
    more than one worker, uvicorn's supervisor is the process returned and the workers its
    children."""
    command = [
        sys.executable, "-m", "uvicorn", app, "--factory", "--workers", str(workers), "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
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


def start_postgres(port: int = POSTGRES_PORT) -> str:
    """The benchmark's PostgreSQL server, started if it is not running: scripts/postgres.sh's
    throwaway cluster (in /tmp/clientela-pg-<port>, without durability: fsync and synchronous
    commits off). Returns the URL of its server, without a database."""
    subprocess.run(
        [str(ROOT / "scripts" / "postgres.sh"), "start"], env={**os.environ, "CLIENTELA_PG_PORT": str(port)}, check=True
    )
    return f"postgres://clientela:clientela@127.0.0.1:{port}"


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's workers are children of its supervisor)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time of the process and its descendants."""
    total = 0.0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def uvicorn_workers(pid: int) -> list[int]:
    """The worker processes under a uvicorn supervisor (not multiprocessing's resource tracker)."""
    return [each for each in process_tree(pid)[1:] if b"resource_tracker" not in Path(f"/proc/{each}/cmdline").read_bytes()]


def rss_mib(pid: int) -> float:
    """Resident memory of one process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise ValueError(f"no VmRSS for process {pid}")


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


def wrk(endpoint, seconds: float, connections: int, scripts: Path, threads: int) -> dict:
    script = scripts / f"{endpoint.name}.lua"
    if not script.exists():
        script.write_text(LUA.format(body=json.dumps(endpoint.body), token=endpoint.token))
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", str(script), endpoint.url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(row for row in out.splitlines() if row.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result
