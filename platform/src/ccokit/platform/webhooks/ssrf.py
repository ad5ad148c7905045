"""Which URLs a server may send webhooks to: the guard against server-side request forgery.

A webhook URL is typed by a tenant's admin, and the request to it leaves from inside ccokit's
network. Without a guard, ``http://169.254.169.254/`` would read the cloud's instance credentials
and ``http://10.0.0.5:6379/`` would talk to an internal Redis. The rules:

- the scheme is ``http`` or ``https``; the URL carries no user name or password;
- the port is 80, 443 or 1024-65535 (no SMTP, SSH or other well-known service on a public host);
- the host is resolved the way the connection would resolve it (``socket.getaddrinfo``, which
  also reads ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``127.1`` as 127.0.0.1), and every
  address it resolves to must be public: loopback, private, link-local, multicast, unspecified,
  reserved, shared (100.64.0.0/10, carrier-grade NAT, where some clouds keep their metadata
  service), documentation and benchmarking ranges and the cloud metadata addresses are refused,
  also when wrapped in IPv6 (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``,
  NAT64, 6to4, Teredo). One refused address refuses the host, so a name that answers with a
  public and a private address cannot slip through;
- the caller connects to the vetted address itself (it is *pinned*), so a DNS answer that
  changes between the check and the connection (DNS rebinding) cannot redirect the request.

``allow_loopback`` admits loopback addresses (and any port on a loopback address literal), for
development and tests.

This module uses the standard library only, so it can move to a shared library unchanged.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ALLOWED_PORTS",
    "REFUSED_NETWORKS",
    "Target",
    "UnsafeURL",
    "address_refusal",
    "check_url",
    "resolve_target",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

#: Ports a webhook may use besides 1024-65535.
ALLOWED_PORTS = frozenset({80, 443})
_HIGH_PORTS = range(1024, 65536)
_MAX_URL = 2048

#: Explicit ranges refused on top of what :mod:`ipaddress` calls non-global, by reason.
REFUSED_NETWORKS: tuple[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network], ...] = (
    ("metadata", ipaddress.ip_network("169.254.169.254/32")),  # AWS, GCP, Azure, OpenStack
    ("metadata", ipaddress.ip_network("fd00:ec2::254/128")),  # AWS over IPv6
    ("metadata", ipaddress.ip_network("100.100.100.200/32")),  # Alibaba Cloud
    ("shared", ipaddress.ip_network("100.64.0.0/10")),  # carrier-grade NAT
    ("reserved", ipaddress.ip_network("0.0.0.0/8")),
    ("reserved", ipaddress.ip_network("192.0.0.0/24")),
    ("reserved", ipaddress.ip_network("198.18.0.0/15")),
    ("reserved", ipaddress.ip_network("240.0.0.0/4")),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPAT = ipaddress.ip_network("::/96")


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; ``reason`` says why in one word, the message in a line.

    Reasons: ``scheme``, ``credentials``, ``host``, ``port``, ``syntax``, ``unresolvable``, and
    for addresses ``loopback``, ``private``, ``link_local``, ``multicast``, ``unspecified``,
    ``reserved``, ``shared``, ``metadata``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """Where to send: the URL's parts as the receiver should see them, and the vetted address
    to connect to instead of resolving ``host`` again."""

    scheme: str
    host: str
    port: int
    address: str


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the wrapping forms."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (ip in _COMPAT and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refusal(address: str | IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why ``address`` may not be sent to (a reason of :class:`UnsafeURL`), or ``None``."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "link_local"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_refusal(inner, allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    if ip.is_unspecified:
        return "unspecified"
    for reason, network in REFUSED_NETWORKS:
        if ip.version == network.version and ip in network:
            return reason
    checks = (
        ("multicast", ip.is_multicast),
        ("link_local", ip.is_link_local),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private or not ip.is_global),
    )
    for reason, refused in checks:
        if refused:
            return reason
    return None


def _port(parts: Any, scheme: str) -> int:
    try:
        port = parts.port
    except ValueError:
        raise UnsafeURL("port", "the port is not a number between 0 and 65535") from None
    return port if port is not None else (443 if scheme == "https" else 80)


def check_url(url: str, *, allow_loopback: bool = False) -> Target:
    """Check what can be checked without DNS; the :class:`Target` with ``address`` empty unless the
    host is an address literal. Raises :class:`UnsafeURL`."""
    if not isinstance(url, str) or not url or len(url) > _MAX_URL:
        raise UnsafeURL("syntax", f"a URL of 1 to {_MAX_URL} characters is needed")
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in url):
        raise UnsafeURL("syntax", "the URL contains spaces, control characters or backslashes")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("scheme", "only http:// and https:// URLs can receive webhooks")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsafeURL("credentials", "the URL may not contain a user name or password")
    host = parts.hostname
    if not host:
        raise UnsafeURL("host", "the URL has no host")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise UnsafeURL("host", "the host name is not a valid domain name") from None
    host = host.rstrip(".")
    if not host:
        raise UnsafeURL("host", "the URL has no host")
    port = _port(parts, scheme)
    literal = _literal_address(host)
    loopback_literal = literal is not None and literal.is_loopback
    if port not in ALLOWED_PORTS and port not in _HIGH_PORTS and not (allow_loopback and loopback_literal):
        raise UnsafeURL("port", "the port must be 80, 443 or between 1024 and 65535")
    if literal is not None:
        reason = address_refusal(literal, allow_loopback=allow_loopback)
        if reason is not None:
            raise UnsafeURL(reason, _address_message(reason))
        return Target(scheme, host, port, str(literal))
    return Target(scheme, host, port, "")


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _address_message(reason: str) -> str:
    return f"the host's address is not public ({reason.replace('_', '-')})"


def resolve_target(
    url: str, *, allow_loopback: bool = False, resolver: Resolver = socket.getaddrinfo
) -> Target:
    """Check ``url``, resolve its host now, vet every address; the :class:`Target` to connect to.

    Raises :class:`UnsafeURL` (reason ``unresolvable`` when the name does not resolve).
    """
    target = check_url(url, allow_loopback=allow_loopback)
    if target.address:
        return target
    try:
        infos = resolver(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        reason = f"the host name does not resolve ({exc.__class__.__name__})"
        raise UnsafeURL("unresolvable", reason) from None
    addresses: list[IPAddress] = []
    for info in infos:
        raw = str(info[4][0]).partition("%")[0]
        addresses.append(ipaddress.ip_address(raw))
        if info[0] == socket.AF_INET6 and len(info[4]) > 3 and info[4][3]:
            raise UnsafeURL("link_local", _address_message("link_local"))
    if not addresses:
        raise UnsafeURL("unresolvable", "the host name resolves to no address")
    for ip in addresses:
        reason = address_refusal(ip, allow_loopback=allow_loopback)
        if reason is not None:
            raise UnsafeURL(reason, _address_message(reason))
    return Target(target.scheme, target.host, target.port, str(addresses[0]))
