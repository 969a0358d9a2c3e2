"""Response caching: ``tools.caching`` (an in-process HTTP cache) and ``tools.expires``.

``tools.caching`` (``before_handler``, priority 90) answers a GET from the cache when
it holds a fresh copy for the URL and the request headers named in the response's
``Vary``; the copy gets an ``Age`` header, and ``If-Modified-Since`` is honoured
(304).  Otherwise, if the request may be cached, a ``before_finalize`` hook
(priority 100, attached only then) copies the response into the cache as it is sent.
``POST``, ``PUT`` and ``DELETE`` drop the cached copies of their URL.  Requests and
responses saying ``Cache-Control: no-store`` are never stored.

Differences from CherryPy, all on the side of correctness (``strict = False``
restores CherryPy's rules):

* only responses a shared cache may keep are stored (RFC 9111): statuses that are
  cacheable by default (not 206 partial content, not 5xx but 501), not
  ``Cache-Control: private`` or ``no-cache``, not ``Vary: *``, and not answers to
  requests with ``Authorization`` unless the response says ``public``,
  ``s-maxage`` or ``must-revalidate``;
* a response's own ``s-maxage``/``max-age`` shortens its stay in the cache;
* variants are keyed by each selecting header's value in order (CherryPy sorted
  the values, mixing up variants);
* the stampede protection also covers a URL's very first request, and a request
  that ends without filling its slot frees it at once;
* each configuration has its own cache (CherryPy used one process-wide cache set
  up by whichever request came first); the expiry sweep runs on the engine.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from cherrypit import HTTPError, HTTPRedirect, Tool, log
from cherrypit.plugin import (
    Attachment,
    HeaderMap,
    HTTPDate,
    current,
    resolve_callable,
    valid_status,
)
from cherrypit_tools.cache_store import (
    CACHE_CLAIM,
    AntiStampedeCache,
    Cache,
    CachedResponse,
    MemoryCache,
    registry,
    release_claim,
)
from cherrypit_tools.cptools import validate_since

__all__ = [
    "AntiStampedeCache",
    "Cache",
    "CachedResponse",
    "CachingTool",
    "MemoryCache",
    "expires",
    "get",
    "tee_output",
]

_DEFAULT_INVALID_METHODS = ("POST", "PUT", "DELETE")
#: Statuses a shared cache may store without explicit freshness (RFC 9111 §4.2.2),
#: minus 204 (no body to keep) and 206 (a part is not the resource).
_CACHEABLE_STATUSES = frozenset({200, 203, 300, 301, 308, 404, 405, 410, 414, 501})


def _debug(message: str) -> None:
    log(message, "TOOLS.CACHING")


def cache_control(value: str | None) -> dict[str, str | None]:
    """Parse a ``Cache-Control`` value into ``{directive: argument or None}``."""
    directives: dict[str, str | None] = {}
    for item in (value or "").split(","):
        name, eq, argument = item.strip().partition("=")
        if name:
            directives[name.lower()] = argument.strip().strip('"') if eq else None
    return directives


_DELTA_SECONDS = re.compile(r"[0-9]+")

#: RFC 9111 section 1.2.2: a larger delta-seconds value is read as this one.
_MAX_DELTA_SECONDS = 2**31


def _delta_seconds(argument: str | None) -> int | None:
    """The ``max-age``-style ``argument`` as seconds, or ``None`` when it is malformed.

    Only ASCII digits count (``str.isdigit`` also accepts ``"²"``, which ``int`` refuses),
    and values too large for any cache are read as 2**31 seconds, so that a very long
    number can neither crash ``int`` nor cost time converting it.
    """
    if argument is None or not _DELTA_SECONDS.fullmatch(argument):
        return None
    digits = argument.lstrip("0")
    if len(digits) > len(str(_MAX_DELTA_SECONDS)):
        return _MAX_DELTA_SECONDS
    return min(int(digits or "0"), _MAX_DELTA_SECONDS)


_default: list[Any] = []


def _default_cache(settings: dict[str, Any]) -> Any:
    """The process-wide cache of direct :func:`get` calls (CherryPy's ``cherrypy._cache``)."""
    if not _default:
        cache_class = settings.pop("cache_class", MemoryCache)
        cache = registry.cache_for(_resolve_cache_class(cache_class), settings)
        _default.append(cache)
    return _default[0]


def _resolve_cache_class(value: Any) -> Any:
    if isinstance(value, str):
        return resolve_callable("tools.caching.cache_class", value)
    return value


# --------------------------------------------------------------------- serving a copy


def get(
    invalid_methods: Iterable[str] = _DEFAULT_INVALID_METHODS,
    debug: bool = False,
    cache: Any = None,
    **kwargs: Any,
) -> bool:
    """Answer from the cache if possible; True when the response is now the cached one.

    Sets ``request.cached`` (served from the cache) and ``request.cacheable`` (the
    response may be stored).  ``invalid_methods`` drop the URL's cached copies.

    :raises cherrypit.HTTPRedirect: 304 when the cached copy was not modified since
        the client's ``If-Modified-Since``.
    :raises cherrypit.HTTPError: 400 for a malformed ``Cache-Control: max-age``.
    """
    if cache is None:
        cache = _default_cache(dict(kwargs))
    slot = current()
    request, response = slot.request, slot.response

    if request.method in invalid_methods:
        if debug:
            _debug(f"request.method {request.method!r} in invalid_methods {invalid_methods!r}")
        cache.delete()
        request.cached = False
        request.cacheable = False
        return False

    if "no-cache" in [e.value for e in request.headers.elements("Pragma")]:
        request.cached = False
        request.cacheable = True
        return False

    cache_data = cache.get()
    request.cached = bool(cache_data)
    request.cacheable = not request.cached
    if not cache_data:
        if debug:
            _debug("request is not cached")
        return False

    max_age = cache.delay
    for directive, argument in cache_control(request.headers.get("Cache-Control")).items():
        if directive == "max-age":
            seconds = _delta_seconds(argument)
            if seconds is None:
                release_claim()
                raise HTTPError(400, "Invalid Cache-Control header")
            max_age = seconds
            break
        if directive == "no-cache":
            if debug:
                _debug("Ignoring cache due to Cache-Control: no-cache")
            return _bypass(request)

    status, headers, body, create_time = cache_data
    age = int(response.time - create_time)
    if age > max_age:
        if debug:
            _debug(f"Ignoring cache due to age > {max_age}")
        return _bypass(request)

    if debug:
        _debug("Reading response from cache")
    fresh = response.headers = HeaderMap()
    for name, value in headers.items():
        dict.__setitem__(fresh, name, value)
    fresh["Age"] = str(age)
    try:
        validate_since()
    except HTTPRedirect as redirect:
        if redirect.status == 304:
            cache.tot_non_modified = getattr(cache, "tot_non_modified", 0) + 1
        raise
    response.status = status
    response.body = body
    return True


def _bypass(request: Any) -> bool:
    request.cached = False
    request.cacheable = True
    return False


# ------------------------------------------------------------------- storing a copy


def _storable(strict: bool, debug: bool) -> float | None:
    """How long the current response may be kept (seconds), or None if not at all."""
    slot = current()
    request, response = slot.request, slot.response
    headers = response.headers
    directives = cache_control(headers.get("Cache-Control"))
    pragma = [e.value for e in headers.elements("Pragma")]
    if "no-store" in directives or "no-cache" in pragma:
        return None
    lifetime = float("inf")
    if strict:
        code = 200 if response.status is None else valid_status(response.status)[0]
        vary = {e.value for e in headers.elements("Vary")}
        if code not in _CACHEABLE_STATUSES or "*" in vary:
            return None
        if "private" in directives or "no-cache" in directives:
            return None
        if "Authorization" in request.headers and not (
            {"public", "s-maxage", "must-revalidate"} & directives.keys()
        ):
            return None
        for name in ("s-maxage", "max-age"):
            argument = directives.get(name)
            if argument is not None:
                lifetime = float(_delta_seconds(argument) or 0)
                break
        if lifetime <= 0:
            return None
    return lifetime


def tee_output(cache: Any = None, strict: bool = True, debug: bool = False) -> None:
    """Copy the response into ``cache`` while it is sent (``before_finalize``, 100)."""
    if cache is None:
        cache = _default_cache({})
    slot = current()
    request, response = slot.request, slot.response
    if "no-store" in cache_control(request.headers.get("Cache-Control")):
        release_claim()
        return
    lifetime = _storable(strict, debug)
    if lifetime is None:
        if debug:
            _debug("response is not storable")
        release_claim()
        return

    def tee(body: Iterable[bytes]) -> Iterator[bytes]:
        output = []
        for chunk in body:
            output.append(chunk)
            yield chunk
        content = b"".join(output)
        if not content:
            # Nothing worth keeping (e.g. a 304): drop the copies, free the slot.
            cache.delete()
            release_claim()
            return
        delay = float(getattr(cache, "delay", 600))
        created = response.time
        entry = CachedResponse(
            response.status,
            HeaderMap(response.headers),
            content,
            created,
            created + min(delay, lifetime),
        )
        cache.put(entry, len(content))

    response.body = tee(response.body)


# ------------------------------------------------------------------------- the tool


class CachingTool(Tool):
    """``tools.caching``: serve from the cache at ``before_handler`` (90); store the
    response through a ``before_finalize`` hook (100) attached only when cacheable.

    The cache is chosen once per config: ``cache_class`` (default
    :class:`MemoryCache`) with every other setting set on it as an attribute.
    """

    def __init__(
        self,
        point: str = "before_handler",
        callable: Callable[..., Any] = get,
        name: str | None = None,
        priority: int = 90,
    ) -> None:
        super().__init__(point, callable, name, priority)

    def _wrapper(
        self,
        cache: Any,
        invalid_methods: Iterable[str] = _DEFAULT_INVALID_METHODS,
        strict: bool = True,
        debug: bool = False,
    ) -> None:
        request = current().request
        if get(invalid_methods, debug, cache=cache):
            request.handler = None
        elif request.cacheable:
            request.hooks.attach(
                "before_finalize", tee_output, priority=100, cache=cache, strict=strict, debug=debug
            )
        if CACHE_CLAIM in request.stash:
            request.hooks.attach("on_end_request", release_claim, failsafe=True)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        conf = settings
        kwargs = {
            "invalid_methods": tuple(conf.pop("invalid_methods", _DEFAULT_INVALID_METHODS)),
            "strict": bool(conf.pop("strict", True)),
            "debug": bool(conf.get("debug", False)),
        }
        cache_class = _resolve_cache_class(conf.pop("cache_class", MemoryCache))
        # Other names become attributes of the cache, as in CherryPy (the start-up
        # check warns about the ones MemoryCache does not know).
        kwargs["cache"] = registry.cache_for(cache_class, conf)
        return [Attachment(self._point, self._wrapper, priority, kwargs)]


# -------------------------------------------------------------------------- expires

# Any fixed date in the past does; this is the one CherryPy sends (2007-01-28).
_LONG_AGO = HTTPDate(1169942400.0)
_CACHEABILITY_HINTS = ("ETag", "Last-Modified", "Age", "Expires")


def expires(secs: float | datetime.timedelta = 0, force: bool = False, debug: bool = False) -> None:
    """Set ``Expires`` (and, for ``secs == 0``, headers that forbid caching).

    :param secs: seconds after ``response.time`` at which the response expires (an
        int or a :class:`datetime.timedelta`).  0 means "already expired": ``Expires``
        in the past, ``Pragma: no-cache`` and, for HTTP/1.1,
        ``Cache-Control: no-cache, must-revalidate``.
    :param force: without it, nothing is done unless the response already carries a
        caching hint (``ETag``, ``Last-Modified``, ``Age`` or ``Expires``), and headers
        already present are kept.
    """
    slot = current()
    response = slot.response
    headers = response.headers
    cacheable = force or any(name in headers for name in _CACHEABILITY_HINTS)
    if not cacheable:
        if debug:
            log("request is not cacheable", "TOOLS.EXPIRES")
        return
    if debug:
        log("request is cacheable", "TOOLS.EXPIRES")
    if isinstance(secs, datetime.timedelta):
        secs = secs.days * 86400 + secs.seconds
    if secs == 0:
        if force or "Pragma" not in headers:
            headers["Pragma"] = "no-cache"
        if slot.request.protocol >= (1, 1) and (force or "Cache-Control" not in headers):
            headers["Cache-Control"] = "no-cache, must-revalidate"
        expiry = _LONG_AGO
    else:
        expiry = HTTPDate(response.time + secs)
    if force or "Expires" not in headers:
        headers["Expires"] = expiry
