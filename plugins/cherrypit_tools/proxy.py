"""``tools.proxy``: the public host, scheme and client address from a trusted proxy.

The client address is the right-most address of ``X-Forwarded-For`` that is not a
trusted proxy (the left-most entries are written by the client itself).  RFC 7239
``Forwarded`` is read instead when ``tools.proxy.forwarded`` is on.

When ``tools.proxy.on`` is set site-wide or in an application's ``[/]`` section, the
headers are applied *before* dispatch (the plugin's ``cherrypit_pre_dispatch`` step),
so redirects raised while dispatching and ``cherrypit.url()`` already see the public
URL.  A ``tools.proxy`` switched on only for a deeper path still runs as CherryPy's
tool does (before the request body).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cherrypit.plugin import DEFAULT_TRUSTED, is_trusted

__all__ = ["apply_forwarded", "parse_forwarded", "pre_dispatch_step"]


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


_NOT_ARGUMENTS = ("tools.proxy.on", "tools.proxy.debug", "tools.proxy.priority")


def pre_dispatch_step(settings: Mapping[str, Any]) -> Callable[[Any], None] | None:
    """The step applying ``tools.proxy.*`` before dispatch, if it is on application-wide."""
    if not settings.get("tools.proxy.on"):
        return None
    arguments = {
        key[len("tools.proxy.") :]: value
        for key, value in settings.items()
        if key.startswith("tools.proxy.") and key not in _NOT_ARGUMENTS
    }
    if arguments.get("trusted") is not None:
        arguments["trusted"] = tuple(arguments["trusted"])

    def apply(request: Any) -> None:
        apply_forwarded(request, **arguments)

    return apply
