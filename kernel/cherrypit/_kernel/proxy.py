"""Whom to believe about a request's origin: trusted proxy peers.

A proxy states the public host, scheme and client address in ``Forwarded`` (RFC
7239) or ``X-Forwarded-*`` headers, which anyone can send, so they are believed only
when the *peer* is trusted: by default the loopback addresses (a proxy on the same
host), otherwise the addresses and networks configured (``tools.proxy.trusted``,
``request.trusted_proxies``); ``"*"`` trusts every peer, CherryPy's behaviour.  The
kernel needs this for virtual hosts; reading the headers is ``tools.proxy``'s, in the
tools plugin.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

__all__ = ["DEFAULT_TRUSTED", "is_trusted"]

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
