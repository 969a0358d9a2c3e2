"""Cross-origin resource sharing: ``tools.cors`` (not in CherryPy).

For a request with an ``Origin`` that is allowed, the response carries
``Access-Control-Allow-Origin`` (and ``-Allow-Credentials``, ``-Expose-Headers`` as
configured) — error responses included, so browsers let scripts read them.  A
preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered by the tool
itself at ``on_start_resource`` (priority 5): ``204`` with the allowed methods and
headers when everything asked for is allowed, ``403`` otherwise; the page handler
and later tools (authentication included) do not run for it.  ``Vary: Origin`` is
added whenever the answer depends on the origin.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cherrypit import ConfigError, HTTPError, Tool, log
from cherrypit.plugin import Attachment, current

__all__ = ["CorsPolicy", "CorsTool"]

#: Request headers a browser sends cross-origin without asking (CORS-safelisted).
_SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})


def _names(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(v.strip() for v in value if v and v.strip())


def _add_vary(headers: Any, name: str) -> None:
    present = [e.value for e in headers.elements("Vary")]
    if not any(v.lower() == name.lower() for v in present):
        headers["Vary"] = ", ".join([*present, name])


class _Preflight(HTTPError):
    """Ends a preflight request early with an empty 204 (or a 403 refusal)."""

    def __init__(self, policy: CorsPolicy, allowed: bool, reason: str = "") -> None:
        super().__init__(403, reason or "CORS preflight refused")
        self.policy = policy
        self.allowed = allowed

    def set_response(self) -> None:
        if not self.allowed:
            super().set_response()
            return
        response = current().response
        response.status = 204
        response.body = None
        response.headers.pop("Content-Type", None)
        response.headers.pop("Content-Length", None)


class CorsPolicy:
    """One path's CORS settings, checked once when its config is planned.

    :raises cherrypit.ConfigError: for ``allow_credentials`` together with the
        ``"*"`` origin (browsers refuse that combination, and echoing any origin
        with credentials would expose every user's data to every site).
    """

    def __init__(
        self,
        allowed_origins: str | Iterable[str] = (),
        allowed_methods: str | Iterable[str] = ("GET", "HEAD", "POST"),
        allowed_headers: str | Iterable[str] = (),
        expose_headers: str | Iterable[str] = (),
        allow_credentials: bool = False,
        max_age: int | None = None,
        debug: bool = False,
    ) -> None:
        self.origins = _names(allowed_origins)
        self.any_origin = "*" in self.origins
        self.origin_set = frozenset(o.lower() for o in self.origins if o != "*")
        self.methods = tuple(m.upper() for m in _names(allowed_methods))
        self.headers = _names(allowed_headers)
        self.any_header = "*" in self.headers
        self.header_set = frozenset(h.lower() for h in self.headers if h != "*")
        self.expose = _names(expose_headers)
        self.credentials = bool(allow_credentials)
        self.max_age = max_age
        self.debug = debug
        if self.credentials and self.any_origin:
            raise ConfigError(
                'tools.cors: allow_credentials cannot be used with the "*" origin; '
                "list the allowed origins instead"
            )
        if max_age is not None and int(max_age) < 0:
            raise ConfigError("tools.cors.max_age must be a number of seconds (>= 0)")

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin.lower() in self.origin_set

    def _allow_origin_value(self, origin: str) -> str:
        return "*" if self.any_origin and not self.credentials else origin

    def _vary(self) -> bool:
        return not self.any_origin or self.credentials

    def _trace(self, message: str) -> None:
        if self.debug:
            log(message, "TOOLS.CORS")

    # -- hooks ----------------------------------------------------------------------

    def start(self) -> None:
        """``on_start_resource``: answer a preflight, or label an actual request."""
        slot = current()
        request, headers = slot.request, slot.response.headers
        if self._vary():
            _add_vary(headers, "Origin")
        origin = request.headers.get("Origin")
        if origin is None:
            return
        requested_method = request.headers.get("Access-Control-Request-Method")
        if request.method == "OPTIONS" and requested_method is not None:
            self._preflight(origin, requested_method)
        if not self.allows(origin):
            self._trace(f"origin {origin!r} is not allowed")
            return
        headers["Access-Control-Allow-Origin"] = self._allow_origin_value(origin)
        if self.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        if self.expose:
            headers["Access-Control-Expose-Headers"] = ", ".join(self.expose)

    def _preflight(self, origin: str, method: str) -> None:
        request_headers = current().request.headers
        asked = _names(request_headers.get("Access-Control-Request-Headers"))
        if not self.allows(origin):
            raise _Preflight(self, False, f"CORS: origin {origin!r} is not allowed")
        if method.upper() not in self.methods:
            raise _Preflight(self, False, f"CORS: method {method!r} is not allowed")
        refused = [
            h
            for h in asked
            if not self.any_header
            and h.lower() not in self.header_set
            and h.lower() not in _SAFELISTED_HEADERS
        ]
        if refused:
            raise _Preflight(self, False, f"CORS: headers {', '.join(refused)} are not allowed")
        headers = current().response.headers
        headers["Access-Control-Allow-Origin"] = self._allow_origin_value(origin)
        headers["Access-Control-Allow-Methods"] = ", ".join(self.methods)
        if asked:
            headers["Access-Control-Allow-Headers"] = ", ".join(
                asked if self.any_header else [h for h in self.headers if h != "*"] or asked
            )
        if self.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(int(self.max_age))
        _add_vary(headers, "Access-Control-Request-Method")
        _add_vary(headers, "Access-Control-Request-Headers")
        self._trace(f"preflight from {origin!r} for {method!r} allowed")
        raise _Preflight(self, True)

    def finish(self) -> None:
        """``before_finalize``/``after_error_response``: error pages drop ``Vary``;
        put ``Origin`` back."""
        if self._vary():
            _add_vary(current().response.headers, "Origin")


class CorsTool(Tool):
    """``tools.cors``: CORS headers and preflight answers, configured per path."""

    def __init__(self) -> None:
        super().__init__("on_start_resource", CorsPolicy, priority=5)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        policy = CorsPolicy(**settings)
        return [
            Attachment(self._point, policy.start, priority),
            Attachment("before_finalize", policy.finish, 50),
            Attachment("after_error_response", policy.finish, 50),
        ]
