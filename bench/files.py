"""A 10 MiB upload and its download through a started service, measuring the server process's
memory: what a file costs it while it passes through.

    .venv/bin/python -m bench.files [--mib 10] [--rounds 3] [--s3] [--output PATH]

Starts the service as bench.run does (`uvicorn clientela.app:create_app --factory`, one process)
on a scratch SQLite database, with the local store in a scratch directory, or with `--s3` an S3
bucket on moto's server started beside it (as tests/s3_server.py does). Signs in the admin of a
new workspace, warms up with a 1 KiB upload and download of each kind (so that what loads once,
python-multipart and filetype among it, is in the baseline), then each round uploads a file of
each kind, a PNG (random bytes behind the signature) and plain text (which the type check reads
through to the end), and downloads it back, comparing digests. The client streams both ways: the
upload is read from a file in chunks, the download hashed chunk by chunk.

Memory is the server's, from /proc/<pid>/status: VmRSS before and after each transfer, and
VmHWM, the peak, reset to the current size before each transfer (writing 5 to
/proc/<pid>/clear_refs), so each transfer's peak is its own. Extra memory is a transfer's peak
above VmRSS after the warm-up. Target: under 50 MiB for every transfer.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx

from bench import run

MIB = 1024 * 1024
TARGET_EXTRA_MIB = 50
EMAIL, PASSWORD = "ada@firm.example", "bench-password-1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOG_IN = "mutation LogIn($email: String!, $password: String!) { logIn(email: $email, password: $password) { token } }"
S3 = {"bucket": "clientela-bench", "region": "us-east-1", "key": "clientela-bench-key", "secret": "clientela-bench-secret"}


def make_file(path: Path, kind: str, size: int) -> Path:
    """`size` bytes of `kind`, written a MiB at a time."""
    with path.open("wb") as target:
        if kind == "png":
            target.write(PNG_SIGNATURE)
        while (left := size - target.tell()) > 0:
            chunk = os.urandom(min(left, MIB))
            target.write(base64.encodebytes(chunk)[:left] if kind == "text" else chunk)
    return path


def memory_kib(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def mib(kib: int) -> float:
    return round(kib / 1024, 1)


def measured(pid: int, transfer) -> dict:
    """`transfer()`'s own figures, with its seconds, the server's memory around it, and how far
    the client's own resident memory rose above where it was (its streaming, checked)."""
    client = os.getpid()
    before, client_before = memory_kib(pid)["VmRSS"], memory_kib(client)["VmRSS"]
    for process in (pid, client):
        Path(f"/proc/{process}/clear_refs").write_text("5")  # VmHWM := VmRSS
    started = time.perf_counter()
    figures = transfer()
    seconds = time.perf_counter() - started
    after = memory_kib(pid)
    return {
        **figures,
        "seconds": round(seconds, 3),
        "rss_before_kib": before,
        "peak_kib": after["VmHWM"],
        "rss_after_kib": after["VmRSS"],
        "client_rise_kib": memory_kib(client)["VmHWM"] - client_before,
    }


def upload(client: httpx.Client, path: Path) -> dict:
    with path.open("rb") as source:  # httpx sends a file object in chunks
        response = client.post("/files", files={"file": (path.name, source, "application/octet-stream")})
    if response.status_code != 201:
        raise SystemExit(f"upload of {path.name} answered {response.status_code}: {response.text}")
    answer = response.json()
    return {"transfer": "upload", "file_id": answer["id"], "bytes": answer["size"], "content_type": answer["contentType"]}


def download(client: httpx.Client, file_id: str) -> dict:
    digest, size = hashlib.sha256(), 0
    with client.stream("GET", f"/files/{file_id}") as response:
        response.raise_for_status()
        for chunk in response.iter_bytes(64 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return {"transfer": "download", "bytes": size, "sha256": digest.hexdigest()}


def sha256_of(path: Path) -> str:
    with path.open("rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()


async def create_workspace(url: str) -> None:
    from clientela import db
    from clientela.accounts.services import create_workspace

    await db.migrate(url)
    async with db.connected(url):
        await create_workspace(workspace_name="Bench", name="Ada Admin", email=EMAIL, password=PASSWORD, language="en")


def until_answering(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


@contextmanager
def s3_bucket(scratch: Path):
    """moto's S3 server on a free port with an empty bucket; the service's CLIENTELA_S3_* settings."""
    import boto3

    port = run.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with (scratch / "moto.log").open("wb") as log:
        moto = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        until_answering(endpoint, moto, "moto's S3 server")
        credentials = {"aws_access_key_id": S3["key"], "aws_secret_access_key": S3["secret"]}
        boto3.client("s3", endpoint_url=endpoint, region_name=S3["region"], **credentials).create_bucket(Bucket=S3["bucket"])
        yield {
            "CLIENTELA_S3_BUCKET": S3["bucket"],
            "CLIENTELA_S3_ENDPOINT_URL": endpoint,
            "CLIENTELA_S3_REGION": S3["region"],
            "CLIENTELA_S3_ACCESS_KEY_ID": S3["key"],
            "CLIENTELA_S3_SECRET_ACCESS_KEY": S3["secret"],
        }
    finally:
        run.stop(moto)


@contextmanager
def no_bucket(scratch: Path):
    yield {"CLIENTELA_STORAGE_DIR": str(scratch / "store")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=10, help="the size of each file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--s3", action="store_true", help="keep the files in a bucket on moto's S3 server")
    parser.add_argument("--backend", type=Path, help="measure another source tree than backend/")
    parser.add_argument("--output", type=Path, help="also write the result here (JSON)")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="clientela-bench-files-"))
    url = f"sqlite://{scratch / 'bench.sqlite3'}"
    asyncio.run(create_workspace(url))
    files = {
        kind: make_file(scratch / f"{args.mib}mib.{'png' if kind == 'png' else 'txt'}", kind, args.mib * MIB)
        for kind in ("png", "text")
    }
    small = {kind: make_file(scratch / f"small.{kind}", kind, 1024) for kind in ("png", "text")}
    port = run.free_port()
    with (s3_bucket if args.s3 else no_bucket)(scratch) as store:
        env = {**run.service_env(url, args.backend), **store}
        server = run.start_server("clientela.app:create_app", port, env, scratch / "server.log")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                logged_in = client.post("/graphql", json={"query": LOG_IN, "variables": {"email": EMAIL, "password": PASSWORD}})
                client.headers["Authorization"] = f"Bearer {logged_in.json()['data']['logIn']['token']}"
                cold_kib = memory_kib(server.pid)["VmRSS"]
                for path in small.values():
                    download(client, upload(client, path)["file_id"])
                baseline_kib = memory_kib(server.pid)["VmRSS"]
                transfers = []
                for round_number in range(1, args.rounds + 1):
                    for kind, path in files.items():
                        sent = measured(server.pid, partial(upload, client, path))
                        received = measured(server.pid, partial(download, client, sent["file_id"]))
                        if received["sha256"] != sha256_of(path):
                            raise SystemExit(f"the {kind} file came back changed")
                        transfers += [{"round": round_number, "kind": kind, **t} for t in (sent, received)]
            final_kib = memory_kib(server.pid)["VmRSS"]
        finally:
            run.stop(server)

    for t in transfers:
        t["extra_mib"] = mib(t["peak_kib"] - baseline_kib)
    worst = max(t["extra_mib"] for t in transfers)
    result = {
        "store": "s3 (moto)" if args.s3 else "local directory",
        "mib": args.mib,
        "git": run.git_commit(args.backend or run.BACKEND),
        "server_rss_mib": {"cold": mib(cold_kib), "after_warm_up": mib(baseline_kib), "at_the_end": mib(final_kib)},
        "client_worst_rise_mib": mib(max(t["client_rise_kib"] for t in transfers)),
        "transfers": transfers,
        "worst_extra_mib": worst,
        "target_extra_mib": TARGET_EXTRA_MIB,
    }
    print(f"{result['store']}: server RSS {mib(cold_kib)} MiB cold, {mib(baseline_kib)} MiB after the warm-up")
    for t in transfers:
        print(
            f"round {t['round']} {t['kind']:4} {t['transfer']:8} {t['bytes'] / MIB:5.1f} MiB in {t['seconds']:.2f} s: "
            f"RSS {mib(t['rss_before_kib'])} -> peak {mib(t['peak_kib'])} -> {mib(t['rss_after_kib'])} MiB, "
            f"extra {t['extra_mib']} MiB"
        )
    print(
        f"server RSS at the end {mib(final_kib)} MiB; the client's own memory rose by {result['client_worst_rise_mib']} MiB at most"
    )
    print(f"worst extra {worst} MiB (target < {TARGET_EXTRA_MIB} MiB): {'met' if worst < TARGET_EXTRA_MIB else 'NOT met'}")
    if args.output:
        args.output.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
