"""Requests that arrive through a reverse proxy: whom to believe, and what they say.

A proxy tells the application the public host, scheme and client address in
``Forwarded`` (RFC 7239) or ``X-Forwarded-*`` headers.  Anyone can send those headers,
so they are believed only when the *peer* is a trusted proxy: by default the loopback
addresses (a proxy on the same host), otherwise the addresses and networks listed in
``tools.proxy.trusted`` (or ``request.trusted_proxies``); ``"*"`` trusts every peer,
which is CherryPy's behaviour.

The client address is the right-most address of ``X-Forwarded-For`` that is not a
trusted proxy (the left-most entries are written by the client itself).  RFC 7239
``Forwarded`` is read instead when ``tools.proxy.forwarded`` is on.

When ``tools.proxy.on`` is set site-wide or in an application's ``[/]`` section, the
kernel applies the headers *before* dispatch, so redirects raised while dispatching
and ``cherrypit.url()`` already see the public URL.  A ``tools.proxy`` switched on
only for a deeper path still runs as CherryPy's tool does (before the request body).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["DEFAULT_TRUSTED", "apply_forwarded", "is_trusted", "parse_forwarded"]

#: Peers trusted when nothing is configured: a proxy on the same machine.
DEFAULT_TRUSTED: tuple[str, ...] = ("127.0.0.1", "::1")


@functools.lru_cache(maxsize=64)
def _parse_trusted(
    trusted: tuple[str, ...],
) -> tuple[bool, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]]:
    """``(trust everyone?, networks)`` for a trusted list (parsed once per list)."""
    networks = []
    for entry in trusted:
        if entry == "*":
            return True, ()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue  # a config typo never widens trust
    return False, tuple(networks)


def is_trusted(peer: str, trusted: Iterable[str]) -> bool:
    """Whether ``peer`` (an IP address) is one of ``trusted`` (addresses, networks, ``*``)."""
    everyone, networks = _parse_trusted(tuple(trusted))
    if everyone:
        return True
    try:
        address = ipaddress.ip_address(peer.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket reports ::ffff:127.0.0.1
    return any(address in network for network in networks)


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


_HOST = re.compile(r"[A-Za-z0-9.\-_]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def _client(chain: list[str], trusted: Iterable[str]) -> str | None:
    """The client in a forwarding chain: the right-most address that is not a proxy.

    Entries on the left were written by whoever sent the request, the client included;
    only the right-most untrusted entry was added by a proxy we trust.
    """
    for address in reversed(chain):
        if not is_trusted(address, trusted):
            return address
    return chain[0] if chain else None


def apply_forwarded(
    request: Any,
    *,
    base: str | None = None,
    local: str | None = "X-Forwarded-Host",
    remote: str | None = "X-Forwarded-For",
    scheme: str | None = "X-Forwarded-Proto",
    trusted: Iterable[str] | None = None,
    forwarded: bool = False,
) -> bool:
    """Rewrite ``request.base``/``scheme``/``remote.ip`` from a trusted proxy's headers.

    :param forwarded: read RFC 7239 ``Forwarded`` (instead of the ``X-Forwarded-*``
        headers).  Off by default: a proxy that only sets ``X-Forwarded-*`` usually
        passes a client's own ``Forwarded`` header through untouched.
    :returns: whether the headers were believed.

    Called again for the same request (the tool, after the kernel applied the site's
    settings before dispatch), it does nothing when the settings are the same, and
    otherwise starts over from the request's own values with the new ones: a path's
    ``tools.proxy.*`` overrides the site's.
    """
    if trusted is None:
        trusted = tuple(getattr(request, "trusted_proxies", None) or DEFAULT_TRUSTED)
    else:
        trusted = tuple(trusted)
    settings = (base, local, remote, scheme, trusted, forwarded)
    undo = getattr(request, "forwarded_undo", None)
    if undo is not None:
        if undo[0] == settings:
            return True  # already applied with these very settings
        # Applied before dispatch with the site's settings; the path's differ.
        _, request.base, request.scheme, request.remote.ip = undo
        request.forwarded_applied = False
        request.forwarded_undo = None
    if not is_trusted(request.remote.ip, trusted):
        return False
    origin = (request.base, request.scheme, request.remote.ip)
    headers = request.headers
    fields: dict[str, str] = {}
    chain: list[str] = []
    if forwarded and headers.get("Forwarded"):
        value = headers["Forwarded"]
        # host/proto from the element our nearest proxy appended (the right-most one).
        fields = parse_forwarded(value.rsplit(",", 1)[-1])
        chain = [
            _strip_port(parse_forwarded(element).get("for", ""))
            for element in value.split(",")
            if "for=" in element.lower()
        ]
    elif remote:
        sent = headers.get(remote)
        if sent:
            chain = [part.strip() for part in sent.split(",") if part.strip()]

    public_scheme = fields.get("proto")
    if not public_scheme and scheme and not forwarded:
        sent = headers.get(scheme)
        if sent and sent.lower() == "on" and "ssl" in scheme.lower():
            public_scheme = "https"
        elif sent:
            public_scheme = sent.split(",")[0].strip()
    if public_scheme not in ("http", "https"):
        public_scheme = request.base.split("://", 1)[0] if "://" in request.base else "http"

    host = fields.get("host")
    if not host and local and not forwarded:
        sent = headers.get(local)
        if sent:
            host = sent.split(",")[0].strip()
    if host:
        # CherryPy takes a full "scheme://host" from the header as the base.
        host_scheme, sep, bare = host.partition("://")
        if sep and host_scheme.lower() in ("http", "https") and _HOST.fullmatch(bare):
            public_scheme = host_scheme.lower()
            base = f"{public_scheme}://{bare}"
        elif not sep and _HOST.fullmatch(host):
            base = host
    if not base:
        base = headers.get("Host") or request.base.split("://", 1)[-1]
    if "://" not in base:
        base = f"{public_scheme}://{base}"
    request.base = base.rstrip("/")
    request.scheme = public_scheme

    client = _client(chain, trusted)
    if client and client.lower() != "unknown":
        request.remote.ip = client
    request.forwarded_applied = True
    request.forwarded_undo = (settings, *origin)
    return True
