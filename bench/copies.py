"""The command line the in-process benchmarks share (bench.targets, bench.automations): each
measures on a copy of a generated SQLite dataset."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path

from bench import run


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

    source = args.url or run.ensure_dataset(args.tasks, args.seed)["url"]
    if not source.startswith("sqlite://"):
        raise SystemExit(f"bench.{name} works on a copy of a SQLite dataset")
    sys.path.insert(0, str(run.BACKEND))
    with tempfile.TemporaryDirectory(prefix=f"clientela-{name}-") as scratch:
        copy = Path(scratch) / f"{name}.sqlite3"
        # SQLite's backup: the copy has what is still in the write-ahead log too.
        with closing(sqlite3.connect(source.removeprefix("sqlite://"))) as original, closing(sqlite3.connect(copy)) as target:
            original.backup(target)
        result = asyncio.run(measure(f"sqlite://{copy}", args.seed))
    result |= {"dataset": source, "git": run.git_commit()}
    result["met"] = met(result)
    output = args.output or run.RESULTS / f"{name}-{result['git'] or 'unknown'}.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result
