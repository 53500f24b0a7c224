"""A real S3-protocol server for the tests: moto's server in its own process on a free loopback
port, started once per run when a test first asks for it. The tests' clients speak HTTP to it;
moto is never imported here, so no client is patched.

`s3_settings` gives the CLIENTELA_S3_* values of a bucket created on it (with a key prefix), for
a test to set in its environment (`monkeypatch.setenv`) or hand to a server process; `s3_store`
makes the service's S3 store of them; `s3_client` is a plain boto3 client on the same server, to
look at what was stored."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from support import stop_process

HOST = "127.0.0.1"
BUCKET = "clientela-test"
PREFIX = "files"
REGION = "us-east-1"
# moto accepts any keys; these are given so that no credentials of the machine are looked for.
ACCESS_KEY_ID = "clientela-test-key"
SECRET_ACCESS_KEY = "clientela-test-secret"


@pytest.fixture(scope="session")
def s3_endpoint_url():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    log_path = Path(tempfile.mkdtemp(prefix="clientela-s3-")) / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"moto's server exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"moto's server did not answer within 60 s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def s3_client(s3_endpoint_url):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def s3_settings(s3_endpoint_url, s3_client) -> dict[str, str]:
    s3_client.create_bucket(Bucket=BUCKET)
    return {
        "CLIENTELA_S3_BUCKET": BUCKET,
        "CLIENTELA_S3_ENDPOINT_URL": s3_endpoint_url,
        "CLIENTELA_S3_REGION": REGION,
        "CLIENTELA_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "CLIENTELA_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "CLIENTELA_S3_PREFIX": PREFIX,
    }


def s3_store(s3_settings: dict[str, str], **overrides):
    """The service's S3 store on the bucket of `s3_settings`; `overrides` change its arguments."""
    from clientela.files.s3 import S3Storage  # aioboto3 only for the tests that use S3

    bucket = overrides.pop("bucket", s3_settings["CLIENTELA_S3_BUCKET"])
    values = {
        "endpoint_url": s3_settings["CLIENTELA_S3_ENDPOINT_URL"],
        "region": s3_settings["CLIENTELA_S3_REGION"],
        "access_key_id": s3_settings["CLIENTELA_S3_ACCESS_KEY_ID"],
        "secret_access_key": s3_settings["CLIENTELA_S3_SECRET_ACCESS_KEY"],
        "prefix": s3_settings["CLIENTELA_S3_PREFIX"],
        **overrides,
    }
    return S3Storage(bucket, **values)
