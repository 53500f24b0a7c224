"""The widest CSV export, timed: the admin's `GET /reports/time.csv` over every date of the
benchmark dataset (about 150,000 time entries at 100,000 tasks), through a started service.

    .venv/bin/python -m bench.csv_export [--tasks 100000] [--url sqlite:///path/bench.sqlite3] [--rounds 3]

Generates the dataset when it is missing (bench/generate.py), starts the service as bench.run
does (`uvicorn clientela.app:create_app --factory`, one process, its own env with the fair-use
budgets raised), downloads the export with the admin's token and reports, per round, the rows,
the bytes, the seconds to the first byte and to the last, and the server's resident memory:
before the request and its peak during it (sampled every 5 ms from /proc). Target: 150,000 rows
in under 3 s, with flat memory (the peak does not grow with the rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import threading
import time
import urllib.request
from pathlib import Path

from bench import generate, processes, run

TARGET_SECONDS = 3.0
# Every date of the generated history (it spans 2025; time entries run a few days into 2026).
FROM, TO = dt.date(2024, 12, 1), dt.date(2026, 12, 31)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.005)

    def stop(self) -> int:
        self.running = False
        self.join()
        return self.peak


def export_once(port: int, token: str, pid: int) -> dict:
    url = f"http://127.0.0.1:{port}/reports/time.csv?from={FROM}&to={TO}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    before = rss_kib(pid)
    sampler = PeakRss(pid)
    sampler.start()
    started = time.perf_counter()
    first_byte = None
    lines = size = 0
    last = b""
    with urllib.request.urlopen(request, timeout=120) as response:
        status = response.status
        while chunk := response.read(65536):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            lines += chunk.count(b"\n")
            size += len(chunk)
            last = (last + chunk)[-300:]
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    return {
        "status": status,
        "rows": lines - 1,  # the header
        "bytes": size,
        "first_byte_s": round(first_byte or seconds, 3),
        "seconds": round(seconds, 3),
        "rows_per_s": round((lines - 1) / seconds),
        "rss_before_mib": round(before / 1024, 1),
        "rss_peak_mib": round(peak / 1024, 1),
        "last_line": last.decode("utf-8", "replace").rstrip("\n").rsplit("\n", 1)[-1],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a generated dataset (default: the one bench.run uses, generated if missing)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", type=Path, help="measure another source tree than backend/")
    parser.add_argument("--output", type=Path, help="also write the result here (JSON)")
    args = parser.parse_args(argv)

    if args.url:
        info = json.loads(generate.viewers_file(args.url).read_text())
    else:
        info = run.ensure_dataset(args.tasks, args.seed)
    port = processes.free_port()
    log_path = Path(f"/tmp/clientela-csv-export-{port}.log")
    server = processes.start_server("clientela.app:create_app", port, run.service_env(info["url"], args.backend), log_path)
    try:
        rounds = [export_once(port, info["tokens"]["admin"], server.pid) for _ in range(args.rounds)]
    finally:
        processes.stop(server)
    result = {
        "dataset": {"tasks": info["tasks"], "url": info["url"]},
        "from": str(FROM),
        "to": str(TO),
        "git": run.git_commit(args.backend or run.BACKEND),
        "rounds": rounds,
        "median_seconds": statistics.median(r["seconds"] for r in rounds),
        "target_seconds": TARGET_SECONDS,
    }
    for r in rounds:
        print(
            f"{r['rows']:,} rows, {r['bytes'] / 1e6:.1f} MB in {r['seconds']:.2f} s (first byte {r['first_byte_s']:.3f} s, "
            f"{r['rows_per_s']:,} rows/s); server RSS {r['rss_before_mib']} MiB before, peak {r['rss_peak_mib']} MiB"
        )
    met = all(r["status"] == 200 for r in rounds) and result["median_seconds"] < TARGET_SECONDS
    print(f"median {result['median_seconds']:.2f} s (target < {TARGET_SECONDS:g} s): {'met' if met else 'NOT met'}")
    if args.output:
        args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
