"""The WSGI side of an application: environ in, status/headers/body out.

:func:`serve` turns a WSGI environ into a :class:`Request`, runs the cycle (following
internal redirects), logs the access line and hands the answer to the server.  For a
plain collapsed body the request is closed before returning; a streamed body is
wrapped so that ``on_end_request`` runs when the server closes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextvars import copy_context
from typing import TYPE_CHECKING, Any

from cherrypit._kernel import serving, site
from cherrypit._kernel.errors import InternalRedirect, bare_error, format_exc
from cherrypit._kernel.headers import HeaderMap, decode_TEXT_maybe, new_header_map
from cherrypit._kernel.httputil import Host
from cherrypit._kernel.request import Request, Response

if TYPE_CHECKING:
    from cherrypit._kernel.tree import Application

#: WSGI environ key → header name ('' for keys that are not headers); filled lazily
#: and bounded, so a client sending many odd header names cannot grow it forever.
_ENV_HEADER_NAMES: dict[str, str] = {
    "HTTP_CGI_AUTHORIZATION": "Authorization",
    "CONTENT_LENGTH": "Content-Length",
    "CONTENT_TYPE": "Content-Type",
    "REMOTE_HOST": "Remote-Host",
    "REMOTE_ADDR": "Remote-Addr",
    # The keys every server sends that are no headers (CGI, PEP 3333 and cheroot's):
    # known ahead, so the first request of a process does not work them out.
    **dict.fromkeys(
        (
            "REQUEST_METHOD",
            "SCRIPT_NAME",
            "PATH_INFO",
            "QUERY_STRING",
            "REQUEST_URI",
            "SERVER_NAME",
            "SERVER_PORT",
            "SERVER_PROTOCOL",
            "SERVER_SOFTWARE",
            "ACTUAL_SERVER_PROTOCOL",
            "GATEWAY_INTERFACE",
            "REMOTE_PORT",
            "REMOTE_USER",
            "AUTH_TYPE",
            "LOGIN",
            "HTTPS",
            "SSL_PROTOCOL",
            "SSL_CIPHER",
            "wsgi.version",
            "wsgi.url_scheme",
            "wsgi.input",
            "wsgi.input_terminated",
            "wsgi.errors",
            "wsgi.multithread",
            "wsgi.multiprocess",
            "wsgi.run_once",
            "wsgi.file_wrapper",
        ),
        "",
    ),
}
_ENV_CACHE_LIMIT = 4096
#: Internal redirects one request may chain before it is answered with a 500.
MAX_INTERNAL_REDIRECTS = 20


def _env_header_name(key: str) -> str:
    """The header name of WSGI environ key ``key`` ('' when it is no header), cached."""
    names = _ENV_HEADER_NAMES
    name = names.get(key)
    if name is None:
        name = key[5:].replace("_", "-").title() if key[:5] == "HTTP_" else ""
        if len(names) < _ENV_CACHE_LIMIT:
            names[key] = name
    return name


def translate_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The request headers of a WSGI environ, as (Title-Case-Name, value) pairs."""
    names = _ENV_HEADER_NAMES
    out = []
    for key, value in environ.items():
        name = names.get(key)
        if name is None:
            name = _env_header_name(key)
        if name:
            out.append((name, value))
    return out


def _header_keys(keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(environ key, header name) of the ``keys`` that are headers, in order."""
    names = _ENV_HEADER_NAMES
    found = []
    for key in keys:
        name = names.get(key)
        if name is None:
            name = _env_header_name(key)
        if name:
            found.append((key, name))
    return tuple(found)


#: The environ keys that are headers, with their names, by the environ's keys in order:
#: one server sends the same keys for every request of a kind of client.
#: Bounded in entries and in keys per entry: clients choose their header names.
_HEADER_KEYS: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}
_SHAPE_CACHE_LIMIT = 256
_SHAPE_KEY_LIMIT = 64


def environ_headers(environ: dict[str, Any]) -> tuple[list[tuple[str, str]], HeaderMap, list[str]]:
    """The request headers of a WSGI environ in one pass over it.

    Returns the raw (Title-Case-Name, value) pairs (``request.header_list``), the
    processed :class:`HeaderMap` (values stripped and RFC 2047-decoded, as
    :meth:`Request.process_headers` makes them) and the ``Cookie`` header values.
    """
    shape = tuple(environ)
    header_keys = _HEADER_KEYS.get(shape)
    if header_keys is None:
        header_keys = _header_keys(shape)
        if len(shape) <= _SHAPE_KEY_LIMIT:
            if len(_HEADER_KEYS) >= _SHAPE_CACHE_LIMIT:
                _HEADER_KEYS.clear()
            _HEADER_KEYS[shape] = header_keys
    pairs: list[tuple[str, str]] = []
    values: dict[str, str] = {}
    for key, name in header_keys:
        value = environ[key]
        pairs.append((name, value))
        values[name] = value.strip()
    # One scan of all values for the rare encoded or non-ASCII one.
    text = "".join(values.values())
    if "=?" in text or not text.isascii():
        for name, value in values.items():
            if "=?" in value or not value.isascii():
                values[name] = decode_TEXT_maybe(value)
    headers = new_header_map()
    dict.update(headers, values)
    # A WSGI environ holds one HTTP_COOKIE at most (the server joins repeated ones).
    cookie = values.get("Cookie")
    return pairs, headers, [] if cookie is None else [cookie]


def _recode(text: str, encoding: str) -> str:
    # PEP 3333 hands us the raw bytes as latin-1 text; the application wants them
    # decoded as ``request.uri_encoding`` (utf-8).  Undecodable input is left as is.
    if text.isascii():
        return text
    try:
        return text.encode("iso-8859-1").decode(encoding)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _has_real_handlers(logger: logging.Logger | None) -> bool:
    while logger is not None:
        for handler in logger.handlers:
            if type(handler) is not logging.NullHandler:
                return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


def make_request(app: Application, environ: dict[str, Any]) -> tuple[Request, Response]:
    env = environ.get
    # Like CherryPy: the local IP is not known from WSGI, only the server name.
    local = Host("", int(env("SERVER_PORT", 80) or -1), env("SERVER_NAME", ""))
    remote = Host(env("REMOTE_ADDR", ""), int(env("REMOTE_PORT", -1) or -1), env("REMOTE_HOST", ""))
    request = app.request_class(
        local, remote, env("wsgi.url_scheme", "http"), env("ACTUAL_SERVER_PROTOCOL", "HTTP/1.1")
    )
    request.app = app
    request.wsgi_environ = environ
    login = env("LOGIN") or env("REMOTE_USER")
    if login:
        request.login = login
    prev = env("cherrypy.previous_request")
    if prev is not None:
        request.prev = prev
    if env("wsgi.input_terminated"):
        request._input_terminated = True
    response = app.response_class()
    request._answer = response
    return request, response


def serve(app: Application, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Serve one WSGI request with ``app``.

    The request runs in a copy of the current :mod:`contextvars` context, so context
    variables that handlers or plugins set (structlog's bound values, for instance)
    end with the request instead of leaking into the next one served by this thread.
    """
    # The thread's serving slot must exist in the outer context, to be shared.
    serving.ambient()
    return copy_context().run(_serve, app, environ, start_response)


#: WSGI environ key: exceptions a request throws (``request.throw_errors``) leave the
#: application instead of being answered by its pipeline (the test client sets it).
RAISE_ERRORS_KEY = "cherrypit.raise_errors"
#: WSGI environ key set on a thrown request: whether its error answer may show the
#: traceback (its ``request.show_tracebacks``).
_SHOW_TRACEBACKS_KEY = "cherrypit.show_tracebacks"


def trap_error(
    environ: dict[str, Any], start_response: Callable[..., Any], exc: Exception
) -> list[bytes]:
    """The answer of an application whose request threw ``exc`` out of the cycle.

    As CherryPy's outermost ``ExceptionTrapper``: log it and answer a bare 500, with the
    traceback when the request showed tracebacks.
    """
    tb = format_exc(exc)
    site.log(tb, severity=40)
    status, headers, body = bare_error(tb if environ.get(_SHOW_TRACEBACKS_KEY) else None)
    try:
        start_response(status, headers, (type(exc), exc, exc.__traceback__))
    except Exception:
        # Headers already sent (start_response re-raises exc_info), or start_response
        # itself is what failed: the server gets the original exception.
        raise exc from None
    return body


def run_request(request: Request, environ: dict[str, Any], path: str, query_string: str) -> None:
    """Run ``request``'s cycle for a WSGI environ (``path`` and ``query_string`` decoded)."""
    header_list, request._environ_headers, cookies = environ_headers(environ)
    if cookies:
        request._cookie_headers = tuple(cookies)
    env = environ.get
    request.run(
        env("REQUEST_METHOD", "GET"),
        path,
        query_string,
        env("SERVER_PROTOCOL", "HTTP/1.0"),
        header_list,
        env("wsgi.input"),
    )


def _serve(app: Application, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    outer_environ = environ
    engine = site.engine
    listeners = engine.listeners
    # The gateway fills the context slot the cherrypit.request facade reads.
    slot = serving.ambient()
    saved = (slot.request, slot.response, slot.session)
    redirections: list[str] = []
    if listeners.get("acquire_thread"):
        engine.publish("acquire_thread")
    if listeners.get("before_request"):
        engine.publish("before_request")
    while True:
        request, response = make_request(app, environ)
        slot.request, slot.response = request, response
        env = environ.get
        path = env("SCRIPT_NAME", "") + env("PATH_INFO", "")
        qs = env("QUERY_STRING", "")
        if not (path.isascii() and qs.isascii()):
            encoding = app.uri_encoding_for(env("PATH_INFO", "") or "/")
            path = _recode(path, encoding)
            qs = _recode(qs, encoding)
        try:
            run_request(request, environ, path, qs)
            break
        except InternalRedirect as ir:
            old_uri = path + ("?" + qs if qs else "")
            redirections.append(old_uri)
            new_uri = (
                request.script_name + ir.path + ("?" + ir.query_string if ir.query_string else "")
            )
            request.close()
            if new_uri in redirections or len(redirections) >= MAX_INTERNAL_REDIRECTS:
                problem = (
                    f"InternalRedirector visited the same URL twice: {new_uri!r}"
                    if new_uri in redirections
                    else f"more than {MAX_INTERNAL_REDIRECTS} internal redirects"
                )
                return _fail(request, start_response, slot, saved, RuntimeError(problem))
            environ = dict(environ)
            environ["REQUEST_METHOD"] = "GET"
            environ["PATH_INFO"] = ir.path
            environ["QUERY_STRING"] = ir.query_string
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("CONTENT_TYPE", None)
            environ["cherrypy.previous_request"] = ir.request
            import io

            environ["wsgi.input"] = io.BytesIO()
        except request.throws:
            _close(request, slot, saved)
            raise
        except Exception as exc:
            if request.throw_errors:
                outer_environ[_SHOW_TRACEBACKS_KEY] = request.show_tracebacks
                _close(request, slot, saved)
                raise
            return _fail(request, start_response, slot, saved, exc)

    try:
        return _hand_over(app, environ, start_response, request, response, slot, saved)
    except BaseException:
        # start_response or the access log failed: still end the request (locks,
        # temporary files) and give the thread its serving slot back.
        if not request.closed:
            _close(request, slot, saved)
        raise


def _hand_over(
    app: Application,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    request: Request,
    response: Response,
    slot: serving.Serving,
    saved: tuple[Any, Any, Any],
) -> Any:
    """Log the access line and give status, headers and body to the server."""
    listeners = site.engine.listeners
    log = app.log
    if _has_real_handlers(log.access_log):
        log.access(request, response)

    header_list: list[tuple[Any, Any]] = response.header_list or []
    for name, value in header_list:
        if type(name) is not str or type(value) is not str:
            # A tool appended to header_list after finalize (CherryPy's form: bytes).
            try:
                header_list = _native_header_list(header_list)
            except TypeError as exc:
                return _fail(request, start_response, slot, saved, exc)
            break
    body = response.body
    start_response(response.status, header_list)
    file_wrapper = environ.get("wsgi.file_wrapper")
    if (
        isinstance(file_wrapper, type)
        and isinstance(body, file_wrapper)
        and not listeners.get("after_request")
    ):
        # The server's own file wrapper (sendfile and friends): hand it over as is;
        # the request is complete from the application's side.
        _close(request, slot, saved)
        return body
    if isinstance(body, list) and not listeners.get("after_request"):
        # A collapsed body is complete: end the request now instead of wrapping the
        # body in a closing iterator.
        if request.hooks._points.get("on_end_request") or "body" in request.__dict__:
            try:
                request.close()
            except Exception:
                site.log(traceback=True, severity=40)
        request.closed = True
        _restore(slot, saved)
        return body
    return ClosingBody(body, request, response, slot, saved)


def _native_header_list(header_list: list[tuple[Any, Any]]) -> list[tuple[str, str]]:
    """``header_list`` as PEP 3333 native strings; bytes are read as ISO-8859-1."""
    native = []
    for name, value in header_list:
        if isinstance(name, bytes):
            name = name.decode("iso-8859-1")
        elif not isinstance(name, str):
            raise TypeError(f"response.header_list key {name!r} is not a byte string.")
        if isinstance(value, bytes):
            value = value.decode("iso-8859-1")
        elif not isinstance(value, str):
            raise TypeError(f"response.header_list value {value!r} is not a byte string.")
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise TypeError(f"response.header_list entry {name!r} holds a line break.")
        native.append((name, value))
    return native


def _restore(slot: serving.Serving, saved: tuple[Any, Any, Any]) -> None:
    slot.request, slot.response, slot.session = saved


def _close(request: Request, slot: serving.Serving, saved: tuple[Any, Any, Any]) -> None:
    try:
        if site.engine.listeners.get("after_request"):
            site.engine.publish("after_request")
        request.close()
    except Exception:
        site.log(traceback=True, severity=40)
    finally:
        _restore(slot, saved)


def _fail(
    request: Request,
    start_response: Callable[..., Any],
    slot: serving.Serving,
    saved: tuple[Any, Any, Any],
    exc: BaseException,
) -> list[bytes]:
    """The cycle itself failed: log, answer a bare 500, close."""
    tb = format_exc(exc)
    site.log(tb, severity=40)
    status, headers, body = bare_error(tb if request.show_tracebacks else None)
    _close(request, slot, saved)
    start_response(status, headers)
    return body


class ClosingBody:
    """A response body that closes its request when the server is done with it."""

    __slots__ = ("_body", "_closed", "_request", "_response", "_saved", "_slot")

    def __init__(
        self,
        body: Any,
        request: Request,
        response: Response,
        slot: serving.Serving,
        saved: tuple[Any, Any, Any],
    ) -> None:
        self._body = body
        self._request = request
        self._response = response
        self._slot = slot
        self._saved = saved
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        slot = self._slot
        # Generators read cherrypit.request/response while the server iterates them.
        slot.request, slot.response = self._request, self._response
        try:
            yield from self._body
        except Exception:
            # Headers are gone already: all we can do is log and cut the response.
            site.log(traceback=True, severity=40)
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            _close(self._request, self._slot, self._saved)
