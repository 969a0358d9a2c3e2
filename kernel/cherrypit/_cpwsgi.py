"""CherryPy's ``cherrypy._cpwsgi`` import path: WSGI helpers around applications.

* :class:`VirtualHost` picks a WSGI application by the request's host name.
* :class:`InternalRedirector` and :class:`ExceptionTrapper` were CherryPy's default
  WSGI pipeline.  cherrypit's applications follow internal redirects and trap
  exceptions themselves, so these are pass-through middleware kept for code that
  builds pipelines by hand (``wsgi.pipeline`` config or explicit wrapping).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cherrypit._kernel.errors import bare_error, format_exc

__all__ = ["ExceptionTrapper", "InternalRedirector", "VirtualHost", "WSGIApp"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class VirtualHost:
    """Serve each host name with its own WSGI application.

    :param default: the application for hosts not listed in ``domains``.
    :param domains: host name (with ``:port`` when not the default port) → application.
    :param use_x_forwarded_host: consult ``X-Forwarded-Host`` — only for requests whose
        peer (``REMOTE_ADDR``) is in ``trusted_proxies``.  CherryPy believed the header
        from any client, which let a client pick the virtual host.
    :param trusted_proxies: addresses of the reverse proxies allowed to set
        ``X-Forwarded-Host``.
    """

    # Class-level defaults, as CherryPy documents them; each instance sets its own.
    default: WSGIApp = None  # type: ignore[assignment]
    domains: dict[str, WSGIApp] = {}
    use_x_forwarded_host: bool = True

    def __init__(
        self,
        default: WSGIApp,
        domains: Mapping[str, WSGIApp] | None = None,
        use_x_forwarded_host: bool = True,
        trusted_proxies: Iterable[str] = (),
    ) -> None:
        self.default = default
        self.domains = dict(domains or {})
        self.use_x_forwarded_host = use_x_forwarded_host
        self.trusted_proxies = frozenset(trusted_proxies)

    def host_of(self, environ: Mapping[str, Any]) -> str:
        """The host name this request is for (forwarded host only from trusted proxies)."""
        host: str = environ.get("HTTP_HOST", "")
        if self.use_x_forwarded_host and environ.get("REMOTE_ADDR") in self.trusted_proxies:
            forwarded = environ.get("HTTP_X_FORWARDED_HOST")
            if forwarded:
                # Several proxies append theirs: the first is the one the client used.
                host = forwarded.split(",", 1)[0].strip()
        return host

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        app = self.domains.get(self.host_of(environ), self.default)
        return app(environ, start_response)


class InternalRedirector:
    """Pass-through middleware: internal redirects are followed by the application.

    :param nextapp: the wrapped WSGI application.
    :param recursive: accepted for compatibility; redirect loops are always refused.
    """

    def __init__(self, nextapp: WSGIApp, recursive: bool = False) -> None:
        self.nextapp = nextapp
        self.recursive = recursive

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.nextapp(environ, start_response)


class ExceptionTrapper:
    """Middleware answering a bare 500 when ``nextapp`` raises before it responds.

    cherrypit applications already turn handler errors into error pages; this only
    matters for foreign WSGI applications wrapped by hand.  Exceptions listed in
    ``throws`` propagate.
    """

    def __init__(
        self,
        nextapp: WSGIApp,
        throws: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit),
    ) -> None:
        self.nextapp = nextapp
        self.throws = throws

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            return self.nextapp(environ, start_response)
        except self.throws:
            raise
        except Exception as exc:
            from cherrypit._kernel import site

            site.log(format_exc(exc), severity=40)
            status, headers, body = bare_error()
            start_response(status, headers, (type(exc), exc, exc.__traceback__))
            return body
