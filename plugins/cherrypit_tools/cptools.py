"""The small built-in tools: methods, proxies, headers, logging, redirects, validators.

Each function here is the callable of one tool in ``cherrypit.tools`` (see the
plugin's ``__init__``) and keeps the name and keyword arguments of its CherryPy
counterpart in ``cherrypy.lib.cptools``, so config keys ``tools.<name>.<argument>``
and direct calls work unchanged.
"""

from __future__ import annotations

import inspect
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from hashlib import md5
from traceback import format_exception_only
from typing import Any, cast

from cherrypit import HTTPError, HTTPRedirect, InternalRedirect, Tool, log, url
from cherrypit.plugin import HOOK_POINTS as POINTS
from cherrypit.plugin import (
    AcceptElement,
    Attachment,
    HeaderElement,
    HeaderMap,
    current,
    valid_status,
)

# CherryPy keeps the form-login tool in cptools; it lives in its own module here.
from cherrypit_tools.proxy import apply_forwarded
from cherrypit_tools.session_auth import SessionAuth, session_auth

__all__ = [
    "AutovaryTool",
    "MonitoredHeaderMap",
    "SessionAuth",
    "accept",
    "allow",
    "autovary",
    "convert_params",
    "flatten",
    "ignore_headers",
    "log_hooks",
    "log_request_headers",
    "log_traceback",
    "proxy",
    "redirect",
    "referer",
    "response_headers",
    "session_auth",
    "trailing_slash",
    "validate_etags",
    "validate_since",
]


# ----------------------------------------------------------- conditional requests


def validate_etags(autotags: bool = False, debug: bool = False) -> None:
    """Answer ``If-Match`` / ``If-None-Match`` against the response's ``ETag``.

    :param autotags: give a 200 response without an ``ETag`` one made from the MD5
        of its body (only sensible for GET-only resources).

    A failed ``If-Match`` is 412; a matching ``If-None-Match`` is 304 for GET and
    HEAD, 412 otherwise.  Runs once per response.
    """
    response = current().response
    if hasattr(response, "ETag"):
        return
    status = valid_status(response.status)[0]
    etag = response.headers.get("ETag")
    if etag:
        if debug:
            log(f"ETag already set: {etag}", "TOOLS.ETAGS")
    elif autotags and status == 200:
        etag = f'"{md5(response.collapse_body(), usedforsecurity=False).hexdigest()}"'
        if debug:
            log(f"Setting ETag: {etag}", "TOOLS.ETAGS")
        response.headers["ETag"] = etag
    response.ETag = etag

    # RFC 7232: conditions only apply to what would otherwise be a 2xx answer.
    if not 200 <= status <= 299:
        return
    request = current().request
    conditions = [str(e) for e in request.headers.elements("If-Match")]
    if debug:
        log(f"If-Match conditions: {conditions!r}", "TOOLS.ETAGS")
    if conditions and not (conditions == ["*"] or etag in conditions):
        raise HTTPError(412, f"If-Match failed: ETag {etag!r} did not match {conditions!r}")

    conditions = [str(e) for e in request.headers.elements("If-None-Match")]
    if debug:
        log(f"If-None-Match conditions: {conditions!r}", "TOOLS.ETAGS")
    if conditions == ["*"] or etag in conditions:
        if request.method in ("GET", "HEAD"):
            raise HTTPRedirect([], 304)
        raise HTTPError(412, f"If-None-Match failed: ETag {etag!r} matched {conditions!r}")


def validate_since() -> None:
    """Answer ``If-Unmodified-Since`` / ``If-Modified-Since`` against ``Last-Modified``.

    Does nothing unless the response has a ``Last-Modified`` header.  Dates are
    compared as the exact strings, as CherryPy does.
    """
    slot = current()
    response = slot.response
    lastmod = response.headers.get("Last-Modified")
    if not lastmod:
        return
    status = valid_status(response.status)[0]
    request = slot.request

    since = request.headers.get("If-Unmodified-Since")
    if since and since != lastmod and (200 <= status <= 299 or status == 412):
        raise HTTPError(412)

    since = request.headers.get("If-Modified-Since")
    if since and since == lastmod and (200 <= status <= 299 or status == 304):
        if request.method in ("GET", "HEAD"):
            raise HTTPRedirect([], 304)
        raise HTTPError(412)


# ---------------------------------------------------------------- request checks


def allow(methods: str | Iterable[str] | None = None, debug: bool = False) -> None:
    """Answer 405 unless the request method is one of ``methods``.

    ``methods`` (case-insensitive; one string or a list) defaults to GET and HEAD;
    HEAD is added whenever GET is allowed.  The ``Allow`` header lists them either way.
    """
    if isinstance(methods, str) or methods is None:
        methods = [methods] if methods else []
    allowed = [m.upper() for m in methods if m]
    if not allowed:
        allowed = ["GET", "HEAD"]
    elif "GET" in allowed and "HEAD" not in allowed:
        allowed.append("HEAD")
    slot = current()
    slot.response.headers["Allow"] = ", ".join(allowed)
    method = slot.request.method
    if debug:
        log(f"request.method {method!r}, allowed {allowed!r}", "TOOLS.ALLOW")
    if method not in allowed:
        raise HTTPError(405)


def proxy(
    base: str | None = None,
    local: str | None = "X-Forwarded-Host",
    remote: str | None = "X-Forwarded-For",
    scheme: str | None = "X-Forwarded-Proto",
    debug: bool = False,
    trusted: Iterable[str] | None = None,
    forwarded: bool = False,
) -> None:
    """Take ``request.base``, the scheme and the client address from a reverse proxy.

    Only a trusted peer is believed: ``trusted`` (addresses, networks, or ``"*"`` for
    CherryPy's trust-everyone), else ``request.trusted_proxies``, else the loopback
    addresses.  When the tool is on site-wide or in ``[/]`` the kernel has already done
    this before dispatch; the tool then changes something only where the path's
    settings differ from those.

    :param base: the public ``scheme://host[:port]``; the ``local`` header (or
        ``Forwarded: host=``) overrides it when present.
    :param local: header naming the public host (``''`` to ignore).
    :param remote: header naming the client address (``''`` to keep the peer's);
        for ``X-Forwarded-For`` the first address of the list is used.
    :param scheme: header naming the public scheme (``X-Forwarded-Ssl: on`` style
        headers are understood too).
    :param forwarded: read RFC 7239 ``Forwarded`` instead of the ``X-Forwarded-*``
        headers.
    """
    request = current().request
    believed = apply_forwarded(
        request,
        base=base,
        local=local,
        remote=remote,
        scheme=scheme,
        trusted=tuple(trusted) if trusted is not None else None,
        forwarded=forwarded,
    )
    if debug:
        outcome = "applied" if believed else "ignored (peer is not a trusted proxy)"
        log(f"Forwarded headers from {request.remote.ip!r} {outcome}", "TOOLS.PROXY")


def ignore_headers(headers: Iterable[str] = ("Range",), debug: bool = False) -> None:
    """Drop the named request headers (e.g. ``Range`` behind a proxy that handles it)."""
    request_headers = current().request.headers
    if isinstance(headers, str):
        headers = [headers]
    for name in headers:
        if name in request_headers:
            if debug:
                log(f"Ignoring request header {name!r}", "TOOLS.IGNORE_HEADERS")
            del request_headers[name]


def response_headers(headers: Iterable[tuple[str, str]] | None = None, debug: bool = False) -> None:
    """Set each ``(name, value)`` of ``headers`` on the response."""
    if debug:
        log(f"Setting response headers: {headers!r}", "TOOLS.RESPONSE_HEADERS")
    response_map = current().response.headers
    for name, value in headers or ():
        response_map[name] = value


response_headers.failsafe = True  # type: ignore[attr-defined]


def referer(
    pattern: str,
    accept: bool = True,
    accept_missing: bool = False,
    error: int = 403,
    message: str = "Forbidden Referer header.",
    debug: bool = False,
) -> None:
    """Refuse the request (``error``, ``message``) by its ``Referer`` header.

    :param pattern: regular expression matched (``re.match``) against the header.
    :param accept: True: the header must match; False: it must not.
    :param accept_missing: let requests without a ``Referer`` through.
    """
    ref = current().request.headers.get("Referer")
    if ref is None:
        if debug:
            log("No Referer header", "TOOLS.REFERER")
        if accept_missing:
            return
    else:
        matched = re.match(pattern, ref) is not None
        if debug:
            log(f"Referer {ref!r} matches {pattern!r}: {matched}", "TOOLS.REFERER")
        if matched == accept:
            return
    raise HTTPError(error, message)


def accept(media: str | Iterable[str] | None = None, debug: bool = False) -> str | None:
    """Return the first of ``media`` the client accepts (``Accept``), or answer 406.

    Client preference comes first, then the order of ``media``; ``type/*`` and
    ``*/*`` ranges match.  Without ``media`` nothing is checked.
    """
    if not media:
        return None
    offered = [media] if isinstance(media, str) else list(media)
    request = current().request
    ranges = cast(list[AcceptElement], request.headers.elements("Accept"))
    if not ranges:
        return offered[0]
    for element in ranges:
        if element.qvalue <= 0:
            continue
        value = element.value
        if value == "*/*":
            if debug:
                log("Match due to */*", "TOOLS.ACCEPT")
            return offered[0]
        if value.endswith("/*"):
            prefix = value[:-1]
            for candidate in offered:
                if candidate.startswith(prefix):
                    if debug:
                        log(f"Match due to {value}", "TOOLS.ACCEPT")
                    return candidate
        elif value in offered:
            if debug:
                log(f"Match due to {value}", "TOOLS.ACCEPT")
            return value
    header = request.headers.get("Accept")
    if header is None:
        message = "Your client did not send an Accept header."
    else:
        message = f"Your client sent this Accept header: {header}."
    message += f" But this resource only emits these media types: {', '.join(offered)}."
    raise HTTPError(406, message)


# ----------------------------------------------------------------------- logging


def log_traceback(severity: int = logging.ERROR, debug: bool = False) -> None:
    """Log the exception being handled, with its traceback, to the error log.

    The line says what was raised (``ValueError: bad id``) before the traceback.
    """
    error = sys.exc_info()[1]
    summary = "" if error is None else "".join(format_exception_only(error)).strip()
    log(summary, "HTTP", severity=severity, traceback=True)


#: Request headers whose values ``tools.log_headers`` replaces by this marker.
REDACTED = "<redacted>"
_SECRET_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


def log_request_headers(debug: bool = False, redact: Iterable[str] = _SECRET_HEADERS) -> None:
    """Log the request headers to the error log.

    :param redact: headers whose values are not written (credentials and cookies by
        default; cherrypit addition: pass ``()`` for CherryPy's full output).
    """
    hidden = {name.title() for name in redact}
    lines = [
        f"  {name}: {REDACTED if name.title() in hidden else value}"
        for name, value in current().request.header_list
    ]
    log("\nRequest Headers:\n" + "\n".join(lines), "HTTP")


def log_hooks(debug: bool = False) -> None:
    """Log the hooks attached to the current request, point by point."""
    hooks = current().request.hooks
    points = list(POINTS) + [p for p in hooks.keys() if p not in POINTS]
    lines = []
    for point in points:
        lines.append(f"    {point}:")
        for hook in sorted(hooks.get(point) or (), key=lambda h: h.priority):
            lines.append(f"        {hook!r}")
    log(f"\nRequest Hooks for {url()}:\n" + "\n".join(lines), "HTTP")


# --------------------------------------------------------------------- redirects


def redirect(url: str = "", internal: bool = True, debug: bool = False) -> None:
    """Redirect to ``url``: inside the request (``internal``) or with an HTTP 303/302."""
    if debug:
        log(f"Redirecting {'internal ' if internal else ''}to: {url}", "TOOLS.REDIRECT")
    if internal:
        raise InternalRedirect(url)
    raise HTTPRedirect(url)


def trailing_slash(
    missing: bool = True, extra: bool = False, status: int | None = None, debug: bool = False
) -> None:
    """Redirect (301 unless ``status``) to fix the trailing slash of the URL.

    :param missing: an index page asked for without its trailing slash goes to the
        URL with it.
    :param extra: a non-index page asked for with a trailing slash goes to the URL
        without it.
    """
    request = current().request
    is_index = request.is_index
    path = request.path_info
    if debug:
        log(
            f"is_index: {is_index!r}, missing: {missing!r}, extra: {extra!r}, path_info: {path!r}",
            "TOOLS.TRAILING_SLASH",
        )
    if is_index is True:
        if missing and not path.endswith("/"):
            raise HTTPRedirect(url(path + "/", request.query_string), status=status or 301)
    elif is_index is False and extra and path.endswith("/") and path != "/":
        raise HTTPRedirect(url(path[:-1], request.query_string), status=status or 301)


# ------------------------------------------------------------------ body helpers


def _is_iterator(value: Any) -> bool:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        return False
    try:
        return iter(value) is value
    except TypeError:
        return False


def flatten(debug: bool = False) -> None:
    """Let the body be nested iterators: replace it by one that yields the leaves."""

    def leaves(chunks: Iterable[Any]) -> Iterator[Any]:
        count = 0
        stack: list[Iterator[Any]] = [iter(chunks)]
        while stack:
            for chunk in stack[-1]:
                if _is_iterator(chunk):
                    stack.append(chunk)
                    break
                count += 1
                yield chunk
            else:
                stack.pop()
        if debug:
            log(f"Flattened {count} chunks", "TOOLS.FLATTEN")

    response = current().response
    response.body = leaves(response.body)


# ---------------------------------------------------------------------- autovary


class MonitoredHeaderMap(HeaderMap):
    """Request headers that remember which names were looked up (``accessed_headers``)."""

    __slots__ = ("accessed_headers",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.accessed_headers: set[str] = set()
        super().__init__(*args, **kwargs)

    def transform_key(self, key: str) -> str:  # type: ignore[override]
        """The stored form of ``key`` (title case), remembered as looked up."""
        name = key.title()
        self.accessed_headers.add(name)
        return name

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, self.transform_key(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, self.transform_key(key))

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, self.transform_key(key))

    def get(self, key: str, default: Any = None, /) -> Any:
        return dict.get(self, self.transform_key(key), default)

    def setdefault(self, key: str, default: str, /) -> str:
        return dict.setdefault(self, self.transform_key(key), default)

    def pop(self, key: str, *default: Any) -> Any:
        return dict.pop(self, self.transform_key(key), *default)

    def elements(self, key: str) -> list[HeaderElement]:
        self.transform_key(key)
        return super().elements(key)


_AUTOVARY_IGNORED = frozenset({"Content-Disposition", "Content-Length", "Content-Type"})
# Framing headers the kernel itself reads while parsing a body; never a reason to vary.
_FRAMING = frozenset({"Transfer-Encoding", "Trailer"})


def _monitor_headers() -> MonitoredHeaderMap:
    request = current().request
    headers = request.headers
    if isinstance(headers, MonitoredHeaderMap):
        return headers
    monitored = MonitoredHeaderMap()
    dict.update(monitored, headers)
    request.headers = monitored
    return monitored


def _set_vary(ignore: Iterable[str] | None = None, debug: bool = False) -> None:
    request = current().request
    headers = request.headers
    accessed = headers.accessed_headers if isinstance(headers, MonitoredHeaderMap) else set()
    response_map = current().response.headers
    names = {e.value for e in response_map.elements("Vary")}
    if debug:
        log(f"Accessed headers: {sorted(accessed)}", "TOOLS.AUTOVARY")
    skipped = _AUTOVARY_IGNORED if ignore is None else {n.title() for n in ignore}
    names |= accessed - _FRAMING
    response_map["Vary"] = ", ".join(sorted(n for n in names if n not in skipped))


def _start_monitoring(ignore: Iterable[str] | None = None, debug: bool = False) -> None:
    _monitor_headers()


def autovary(ignore: Iterable[str] | None = None, debug: bool = False) -> None:
    """Name in ``Vary`` every request header the application looked at.

    Watches ``request.headers`` from now on and, just before the response is
    finalised (priority 95), merges the names read into ``Vary``, minus ``ignore``
    (default: ``Content-Disposition``, ``Content-Length``, ``Content-Type``).
    """
    _monitor_headers()
    current().request.hooks.attach(
        "before_finalize", _set_vary, priority=95, ignore=ignore, debug=debug
    )


class AutovaryTool(Tool):
    """``tools.autovary``: both of its hooks are planned once instead of per request."""

    def __init__(self) -> None:
        super().__init__("on_start_resource", autovary, priority=0)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        return [
            Attachment(self._point, _start_monitoring, priority, settings),
            Attachment("before_finalize", _set_vary, 95, settings),
        ]


# ------------------------------------------------------------------------ params


def _annotations(func: Any) -> dict[str, Any]:
    func = getattr(func, "callable", func)
    try:
        return inspect.get_annotations(func, eval_str=True)
    except Exception:
        # Unresolvable string annotations: use what can be used as is.
        return dict(getattr(func, "__annotations__", {}) or {})


def convert_params(exception: type[BaseException] = ValueError, error: int = 400) -> None:
    """Convert request parameters with the handler's annotations (``n: int``).

    A conversion raising ``exception`` answers ``error`` (400).  Annotations written
    as strings (``from __future__ import annotations``) are resolved first.
    """
    request = current().request
    types = _annotations(request.handler)
    params = request.params
    with HTTPError.handle(exception, error):
        for name in set(types).intersection(params):
            converter = types[name]
            if callable(converter):
                params[name] = converter(params[name])
