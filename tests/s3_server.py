"""A real S3-compatible server for tests: moto's server mode in its own process.

Loaded by ``tests/conftest.py`` so every test folder can ask for ``s3_endpoint`` (one server per
test process, started on first use), ``aws_credentials`` (fake keys in the environment, nothing
read from the developer's AWS configuration) and ``bucket`` (a new bucket per test). Traffic goes
over real HTTP to the server, as boto3 and browsers do in production. moto checks neither
signatures nor the policy of a presigned POST (S3 does both), so tests check the size and type
limits in the signed policy document itself, and what arrived with ``stat``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

MOTO = Path(sys.executable).with_name("moto_server")
REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError("moto_server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def bucket(s3_endpoint: str, aws_credentials: None) -> str:
    name = f"ccokit-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION).create_bucket(Bucket=name)
    return name


def s3_keys(endpoint: str, bucket: str) -> list[str]:
    """Every key in ``bucket``, as the server lists them."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
