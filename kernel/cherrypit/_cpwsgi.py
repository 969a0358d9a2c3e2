"""CherryPy's ``cherrypy._cpwsgi`` import path: WSGI helpers around applications.

* :class:`VirtualHost` picks a WSGI application by the request's host name.
* :class:`InternalRedirector` and :class:`ExceptionTrapper` were CherryPy's default
  WSGI pipeline.  cherrypit's applications follow internal redirects and trap
  exceptions themselves, so these are pass-through middleware kept for code that
  builds pipelines by hand (``wsgi.pipeline`` config or explicit wrapping).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from cherrypit._kernel.errors import bare_error, format_exc
from cherrypit._kernel.proxy import DEFAULT_TRUSTED, is_trusted

__all__ = [
    "AppResponse",
    "CPWSGIApp",
    "ExceptionTrapper",
    "InternalRedirector",
    "VirtualHost",
    "WSGIApp",
    "downgrade_wsgi_ux_to_1x",
]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class VirtualHost:
    """Serve each host name with its own WSGI application.

    :param default: the application for hosts not listed in ``domains``.
    :param domains: host name (with ``:port`` when not the default port) → application.
    :param use_x_forwarded_host: consult ``X-Forwarded-Host`` — only for requests whose
        peer (``REMOTE_ADDR``) is a trusted proxy.  CherryPy believed the header from
        any client, which let a client pick the virtual host.
    :param trusted_proxies: addresses or networks (``"10.0.0.0/8"``) of the reverse
        proxies allowed to set ``X-Forwarded-Host``; ``"*"`` trusts every peer.  Empty
        means the loopback addresses.  The rule is the one ``request.trusted_proxies``
        follows for the ``VirtualHost`` dispatcher and ``tools.proxy``.
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
        self.trusted_proxies = tuple(trusted_proxies)

    def host_of(self, environ: Mapping[str, Any]) -> str:
        """The host name this request is for (forwarded host only from trusted proxies)."""
        host: str = environ.get("HTTP_HOST", "")
        if self.use_x_forwarded_host and is_trusted(
            environ.get("REMOTE_ADDR", ""), self.trusted_proxies or DEFAULT_TRUSTED
        ):
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


def downgrade_wsgi_ux_to_1x(environ: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``environ`` with text keys and values as WSGI 1.x native strings.

    Text values are re-encoded from ``wsgi.url_encoding`` (UTF-8 by default) to
    ISO-8859-1 strings, the form PEP 3333 gives them.
    """
    encoding = environ.get("wsgi.url_encoding", "utf-8")
    downgraded: dict[str, Any] = {}
    for key, value in environ.items():
        if isinstance(value, str) and key not in ("wsgi.url_encoding",):
            value = value.encode(encoding).decode("ISO-8859-1")
        downgraded[key] = value
    return downgraded


class AppResponse:
    """One WSGI response of an application: ``AppResponse(environ, start_response, cpapp)``.

    Iterating it yields the body; ``close()`` releases the request.  cherrypit's
    applications answer WSGI calls themselves, so :meth:`run` just calls ``cpapp``.
    """

    #: WSGI environ keys that carry request headers outside the ``HTTP_*`` ones.
    headerNames: dict[str, str] = {
        "HTTP_CGI_AUTHORIZATION": "Authorization",
        "CONTENT_LENGTH": "Content-Length",
        "CONTENT_TYPE": "Content-Type",
        "REMOTE_HOST": "Remote-Host",
        "REMOTE_ADDR": "Remote-Addr",
    }

    def __init__(
        self, environ: dict[str, Any], start_response: Callable[..., Any], cpapp: Any
    ) -> None:
        self.cpapp = cpapp
        self.environ = environ
        self.start_response = start_response
        self._body: Any = self.run()
        self._iter: Any = iter(self._body)

    def run(self) -> Any:
        """Answer the request; returns the body iterable."""
        return self.cpapp(self.environ, self.start_response)

    def recode_path_qs(self, path: str, qs: str) -> tuple[str, str] | None:
        """Kept for subclasses; cherrypit decodes the path by ``request.uri_encoding``."""
        return None

    def translate_headers(self, environ: dict[str, Any]) -> Iterator[tuple[str, str]]:
        """The request headers in ``environ`` as ``(name, value)`` pairs."""
        for key, value in environ.items():
            if key in self.headerNames:
                yield self.headerNames[key], value
            elif key.startswith("HTTP_"):
                yield key[5:].replace("_", "-").title(), value

    def __iter__(self) -> AppResponse:
        return self

    def __next__(self) -> bytes:
        chunk: bytes = next(self._iter)
        return chunk

    def close(self) -> None:
        """Close the body (ends the request's resources)."""
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


class CPWSGIApp:
    """The WSGI callable of an application: its ``wsgi`` pipeline around the app.

    ``Application.wsgiapp`` is already one per application; this makes a new one
    around ``cpapp`` (an :class:`~cherrypit.Application`), optionally with a
    ``pipeline`` of ``(name, factory)`` pairs, outermost first.
    """

    # Class-level defaults, as CherryPy documents them; each instance sets its own.
    pipeline: list[tuple[str, Any]] = []
    config: dict[str, dict[str, Any]] = {}
    head: Any = None
    response_class = AppResponse

    def __init__(self, cpapp: Any, pipeline: list[tuple[str, Any]] | None = None) -> None:
        from cherrypit._kernel.tree import WSGIPipeline

        self.cpapp = cpapp
        self._pipeline = WSGIPipeline(self.tail)
        self.pipeline = self._pipeline.pipeline
        self.config = self._pipeline.config
        if pipeline:
            self.pipeline.extend(pipeline)

    def tail(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The application itself, below the pipeline."""
        return self.response_class(environ, start_response, self.cpapp)

    def namespace_handler(self, k: str, v: Any) -> None:
        """Apply one ``wsgi.*`` config key (``pipeline`` or ``<name>.<arg>``)."""
        self._pipeline.namespace_handler(k, v)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self._pipeline(environ, start_response)
