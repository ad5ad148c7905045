"""The SSRF guard: no webhook reaches a loopback, private or metadata address, in any spelling.

Real receivers listen on 127.0.0.1 and ::1. With loopback allowed, every spelling below reaches
them (so they are reachable); with the default settings, the same endpoints send 0 requests, and
registering them answers 422 on ``url``.
"""

from __future__ import annotations

import ast
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from ccokit.platform.config import Settings
from ccokit.platform.kernel import Kernel, current_kernel
from ccokit.platform.webhooks import ssrf
from ccokit.platform.webhooks.endpoints import create_endpoint
from ccokit.platform.webhooks.ssrf import Target, UnsafeURL, address_refusal, check_url, resolve_target
from ccokit.platform.webhooks.transport import post_pinned
from tests.conftest import TenantInfo, bearer, issue_token, signup
from tests.platform.events.conftest import Pinger, build, ping
from tests.platform.webhooks.conftest import Receiver, deliveries, hook_settings, pump, retire


def loopback_spellings(v4: Receiver, v6: Receiver) -> list[str]:
    """Every way to write a loopback receiver's URL that a resolver accepts."""
    port, port6 = v4.port, v6.port
    return [
        f"http://127.0.0.1:{port}/hooks",
        f"http://2130706433:{port}/hooks",  # decimal
        f"http://0177.0.0.1:{port}/hooks",  # octal
        f"http://0x7f.0.0.1:{port}/hooks",  # hexadecimal
        f"http://0x7f000001:{port}/hooks",
        f"http://127.1:{port}/hooks",  # short form
        f"http://[::ffff:127.0.0.1]:{port}/hooks",  # IPv4-mapped IPv6
        f"http://localhost:{port}/hooks",  # a DNS name that resolves to a private address
        f"http://{socket.gethostname()}:{port}/hooks",  # this machine's name, in /etc/hosts as 127.0.0.1
        f"http://LOCALHOST.:{port}/hooks",
        f"http://[::1]:{port6}/hooks",
    ]


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    v4, v6 = Receiver().start(), Receiver(host="::1").start()
    try:
        yield v4, v6
    finally:
        v4.stop()
        v6.stop()


def _app(settings: Settings) -> Flask:
    return build(settings, Pinger())


def _endpoints_for(kernel: Kernel, tenant: TenantInfo, urls: list[str]) -> None:
    """Endpoints written straight into the database, as if their hosts changed after registration."""
    with kernel.db.transaction(tenant.tenant_id) as session:
        for url in urls:
            create_endpoint(kernel, session, {"url": url, "event_types": ["*"]})


def test_every_loopback_spelling_reaches_the_receivers_when_loopback_is_allowed(
    pg_settings: Settings, receivers: tuple[Receiver, Receiver]
) -> None:
    v4, v6 = receivers
    app = _app(hook_settings(pg_settings))
    kernel = current_kernel(app)
    tenant = signup(app.test_client())
    try:
        urls = loopback_spellings(v4, v6)
        _endpoints_for(kernel, tenant, urls)
        ping(kernel, tenant, 1)
        pump(kernel, tenant)
        assert len(v4.received) == len(urls) - 1
        assert len(v6.received) == 1
        hosts = {r.headers["host"] for r in v4.received}
        assert f"2130706433:{v4.port}" in hosts  # the URL's own host goes in the Host header
    finally:
        retire(kernel, tenant)
        kernel.db.dispose()


def test_the_guard_sends_zero_requests_to_any_loopback_spelling(
    pg_settings: Settings, receivers: tuple[Receiver, Receiver]
) -> None:
    v4, v6 = receivers
    settings = hook_settings(pg_settings, webhooks_allow_loopback=False)
    assert not settings.webhooks_allow_loopback
    app = _app(settings)
    kernel = current_kernel(app)
    tenant = signup(app.test_client())
    try:
        urls = loopback_spellings(v4, v6)
        _endpoints_for(kernel, tenant, urls)
        ping(kernel, tenant, 1, 2)
        pump(kernel, tenant, rounds=3)
        assert v4.received == []
        assert v6.received == []
        rows = deliveries(kernel, tenant)
        assert len(rows) == 2 * len(urls)
        for row in rows:
            assert row.status == "pending"
            assert row.last_error is not None
            assert row.last_error.startswith("not sent: the host's address is not public (loopback)")
            assert row.last_status_code is None
    finally:
        retire(kernel, tenant)
        kernel.db.dispose()


def test_registration_refuses_loopback_private_and_metadata_addresses(
    app: Flask, receivers: tuple[Receiver, Receiver]
) -> None:
    client = app.test_client()
    tenant = signup(client)
    headers = bearer(issue_token(client, tenant))
    refused = [
        *loopback_spellings(*receivers),
        "http://10.1.2.3/hooks",
        "http://172.16.0.1/hooks",
        "http://192.168.1.10:8080/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://100.64.0.1/hooks",
        "http://0.0.0.0/hooks",
        "http://[::]/hooks",
        "http://224.0.0.1/hooks",
        "http://[ff02::1]/hooks",
        "http://[fe80::1]/hooks",
        "http://[::ffff:10.0.0.1]/hooks",
        "http://[64:ff9b::a00:1]/hooks",
        "http://[2002:a00:1::]/hooks",
        "ftp://8.8.8.8/hooks",
        "file:///etc/passwd",
        "gopher://8.8.8.8:70/",
        "http://user:pass@8.8.8.8/hooks",
        "http://8.8.8.8:25/hooks",
        "http://8.8.8.8:22/hooks",
        "http:///hooks",
        "http://8.8.8.8/ho oks",
    ]
    for url in refused:
        resp = client.post("/api/v1/webhooks/endpoints", json={"url": url, "event_types": ["*"]}, headers=headers)
        assert resp.status_code == 422, url
        assert resp.mimetype == "application/problem+json"
        assert "url" in resp.get_json()["errors"], url
    zh = client.post(
        "/api/v1/webhooks/endpoints", json={"url": "http://10.0.0.1/", "event_types": ["*"]},
        headers={**headers, "Accept-Language": "zh-CN"},
    )
    assert "公网" in zh.get_json()["errors"]["url"][0]
    # Public addresses, and names that do not resolve yet, are accepted.
    for url in ("https://8.8.8.8/hooks", "https://[2001:4860:4860::8888]:8443/hooks", "https://hooks.shop.example/x"):
        resp = client.post("/api/v1/webhooks/endpoints", json={"url": url, "event_types": ["*"]}, headers=headers)
        assert resp.status_code == 201, (url, resp.get_data(as_text=True))


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::127.0.0.1", "loopback"),  # IPv4-compatible
        ("64:ff9b::7f00:1", "loopback"),  # NAT64
        ("2002:7f00:1::", "loopback"),  # 6to4
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("fc00::1", "private"),
        ("::ffff:192.168.0.1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.1.1", "link_local"),
        ("fe80::1", "link_local"),
        ("224.0.0.251", "multicast"),
        ("239.1.2.3", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address to refuse, not to bind
        ("0.1.2.3", "reserved"),
        ("::", "unspecified"),
        ("100.64.0.1", "shared"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("198.18.0.1", "reserved"),
        ("192.0.2.1", "private"),  # documentation
    ],
)
def test_address_refusals(address: str, reason: str) -> None:
    assert address_refusal(address) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "::ffff:8.8.8.8", "93.184.215.14"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(address) is None


def test_loopback_is_allowed_only_when_asked_and_only_loopback() -> None:
    assert address_refusal("127.0.0.1", allow_loopback=True) is None
    assert address_refusal("::ffff:127.0.0.1", allow_loopback=True) is None
    assert address_refusal("10.0.0.1", allow_loopback=True) == "private"
    assert address_refusal("169.254.169.254", allow_loopback=True) == "metadata"
    with pytest.raises(UnsafeURL) as refused:
        resolve_target("http://localhost:9000/x")
    assert refused.value.reason == "loopback"
    assert resolve_target("http://127.0.0.1:22/x", allow_loopback=True).address == "127.0.0.1"
    with pytest.raises(UnsafeURL) as port:
        check_url("http://8.8.8.8:22/x", allow_loopback=True)
    assert port.value.reason == "port"


def test_the_connection_goes_to_the_vetted_address_not_to_a_new_lookup(receivers: tuple[Receiver, Receiver]) -> None:
    """Pinning: the request reaches the address the guard checked, with the URL's host in ``Host``,
    even for a name that no resolver knows (so no second lookup could have happened)."""
    v4, _ = receivers
    target = Target("http", "hooks.shop.example", v4.port, "127.0.0.1")
    attempt = post_pinned(f"http://hooks.shop.example:{v4.port}/hooks?a=1", target, b"{}", {"webhook-id": "whd_x"})
    assert attempt.status_code == 204
    assert len(v4.received) == 1
    assert v4.received[0].headers["host"] == f"hooks.shop.example:{v4.port}"


def test_redirects_are_not_followed(
    hooks_app: Flask, hooks_kernel: Kernel, receivers: tuple[Receiver, Receiver]
) -> None:
    v4, elsewhere = receivers
    v4.answer = lambda got, tries: (302, {"Location": elsewhere.url})
    app_tenant = signup(hooks_app.test_client())
    _endpoints_for(hooks_kernel, app_tenant, [v4.url])
    ping(hooks_kernel, app_tenant, 1)
    pump(hooks_kernel, app_tenant)
    assert len(v4.received) >= 1
    assert elsewhere.received == []
    (row,) = deliveries(hooks_kernel, app_tenant)
    assert row.status == "pending"
    assert row.last_status_code == 302
    assert "redirect" in (row.last_error or "")
    retire(hooks_kernel, app_tenant)


def test_the_guard_uses_the_standard_library_only() -> None:
    """So it can move to a library of its own without the platform."""
    tree = ast.parse(Path(ssrf.__file__).read_text())
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= {"__future__", "ipaddress", "socket", "collections.abc", "dataclasses", "typing",
                        "urllib.parse"}
