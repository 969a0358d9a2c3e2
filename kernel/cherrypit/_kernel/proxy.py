"""Requests that arrive through a reverse proxy: whom to believe, and what they say.

A proxy tells the application the public host, scheme and client address in
``Forwarded`` (RFC 7239) or ``X-Forwarded-*`` headers.  Anyone can send those headers,
so they are believed only when the *peer* is a trusted proxy: by default the loopback
addresses (a proxy on the same host), otherwise the addresses and networks listed in
``tools.proxy.trusted`` (or ``request.trusted_proxies``); ``"*"`` trusts every peer,
which is CherryPy's behaviour.

When ``tools.proxy.on`` is set site-wide or in an application's ``[/]`` section, the
kernel applies the headers *before* dispatch, so redirects raised while dispatching
and ``cherrypit.url()`` already see the public URL.  A ``tools.proxy`` switched on
only for a deeper path still runs as CherryPy's tool does (before the request body).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

__all__ = ["DEFAULT_TRUSTED", "apply_forwarded", "is_trusted", "parse_forwarded"]

#: Peers trusted when nothing is configured: a proxy on the same machine.
DEFAULT_TRUSTED: tuple[str, ...] = ("127.0.0.1", "::1")


def is_trusted(peer: str, trusted: Iterable[str]) -> bool:
    """Whether ``peer`` (an IP address) is one of ``trusted`` (addresses, networks, ``*``)."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return "*" in trusted
    for entry in trusted:
        if entry == "*":
            return True
        try:
            if "/" in entry:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            elif address == ipaddress.ip_address(entry):
                return True
        except ValueError:
            continue
    return False


def parse_forwarded(value: str) -> dict[str, str]:
    """The first (client-side) element of an RFC 7239 ``Forwarded`` header."""
    first = value.split(",", 1)[0]
    params: dict[str, str] = {}
    for pair in first.split(";"):
        name, sep, raw = pair.strip().partition("=")
        if not sep:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        params[name.strip().lower()] = raw
    return params


def _strip_port(node: str) -> str:
    # RFC 7239 node: "192.0.2.1", "192.0.2.1:4711", "[2001:db8::1]:4711", "unknown".
    if node.startswith("["):
        return node[1 : node.find("]")] if "]" in node else node
    if node.count(":") == 1:
        return node.split(":", 1)[0]
    return node


def apply_forwarded(
    request: Any,
    *,
    base: str | None = None,
    local: str | None = "X-Forwarded-Host",
    remote: str | None = "X-Forwarded-For",
    scheme: str | None = "X-Forwarded-Proto",
    trusted: Iterable[str] | None = None,
) -> bool:
    """Rewrite ``request.base``/``scheme``/``remote.ip`` from a trusted proxy's headers.

    Returns whether the headers were believed.  ``Forwarded`` (RFC 7239) wins over the
    ``X-Forwarded-*`` headers when both are present.
    """
    if trusted is None:
        trusted = getattr(request, "trusted_proxies", None) or DEFAULT_TRUSTED
    if not is_trusted(request.remote.ip, trusted):
        return False
    headers = request.headers
    forwarded = headers.get("Forwarded")
    fields = parse_forwarded(forwarded) if forwarded else {}

    public_scheme = fields.get("proto")
    if not public_scheme and scheme:
        sent = headers.get(scheme)
        if sent and sent.lower() == "on" and "ssl" in scheme.lower():
            public_scheme = "https"
        elif sent:
            public_scheme = sent.split(",")[0].strip()
    if not public_scheme:
        public_scheme = request.base.split("://", 1)[0] if "://" in request.base else "http"

    host = fields.get("host")
    if not host and local:
        sent = headers.get(local)
        if sent:
            host = sent.split(",")[0].strip()
    if host:
        base = host
    if not base:
        base = headers.get("Host") or request.base.split("://", 1)[-1]
    if "://" not in base:
        base = f"{public_scheme}://{base}"
    request.base = base.rstrip("/")
    request.scheme = public_scheme

    client = _strip_port(fields["for"]) if "for" in fields else None
    if not client and remote:
        sent = headers.get(remote)
        if sent:
            client = sent.split(",")[0].strip() if remote == "X-Forwarded-For" else sent
    if client and client.lower() != "unknown":
        request.remote.ip = client
    request.forwarded_applied = True
    return True
