"""Request, Response and the request cycle — the hot path of cherrypit.

The cycle (:meth:`Request.respond`) runs, in order: header processing, dispatch, the
config plan, ``on_start_resource``, query-string parsing, ``before_request_body``,
body processing, ``before_handler``, the page handler, ``before_finalize`` and
:meth:`Response.finalize`; ``on_end_resource`` always runs, and ``on_end_request``
when the response is closed.  An ``HTTPError``/``HTTPRedirect`` writes its own answer
and still goes through ``before_finalize``; any other exception goes through
``before_error_response``, ``request.error_response`` and ``after_error_response``.

Speed notes: hooks come pre-sorted from the plan and empty points are skipped; the
body object, cookies and the unique id are created only when something reads them.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from cherrypit._kernel import serving
from cherrypit._kernel.dispatch import CycleDispatcher, Dispatcher, Trail
from cherrypit._kernel.errors import HTTPError, HTTPRedirect, InternalRedirect, NotFound, answer
from cherrypit._kernel.handler_result import body_chunk_error, check_result
from cherrypit._kernel.headers import HeaderMap, decode_TEXT_maybe, new_header_map
from cherrypit._kernel.hooks import HookMap
from cherrypit._kernel.httputil import Host, SanitizedHost, parse_query_string, valid_status
from cherrypit._kernel.stash import Stash
from cherrypit._kernel.version import VERSION

if TYPE_CHECKING:
    from cherrypit._kernel.tree import Application

__all__ = ["Lazy", "Request", "Response", "ResponseBody"]

T = TypeVar("T")

_EMPTY_HOOKS = HookMap({})
#: Handler results taken as they are; anything else is checked first (check_result).
_PLAIN_BODIES = frozenset({str, bytes, list, type(None)})
#: Header name → its Title-Case form (bounded cache; header names repeat a lot).
_TITLES: dict[str, str] = {}


def _default_error_response() -> None:
    HTTPError(500).set_response()


class Lazy(Generic[T]):
    """A per-instance attribute computed from the instance when first read.

    A non-data descriptor: the value is stored in the instance ``__dict__`` under the
    same name, so every later read (and any assignment) bypasses the descriptor.
    """

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Lazy[T]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> T: ...
    def __get__(self, obj: object | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.build(obj)
        return value


def _parse_cookie(request: Request) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for value in request._cookie_headers:
        try:
            jar.load(value)
        except CookieError as exc:
            raise HTTPError(400, str(exc)) from exc
    return jar


def _request_body(request: Request) -> Any:
    from cherrypit._kernel.body import RequestBody

    body = RequestBody(request.rfile, request.headers, request_params=request.params)
    if request._input_terminated:
        body.input_terminated = True
    return body


class RequestNamespaces(dict[str, Any]):
    """``Request.namespaces``: per-request config namespace → handler ``(key, value)``.

    Register a handler here to give the keys of a namespace of your own (``db.*``,
    say) a meaning in path config: it is called for each key of that namespace when a
    request's config is set up.  A handler may also be a context manager (a
    :class:`~cherrypit.Toolbox` is one): entered before the keys, which go to what
    ``__enter__`` returns, and exited after them.  Calling the mapping with a config
    dict applies that config to the current request (the built-in namespaces and these
    handlers).
    """

    def __call__(self, config: dict[str, Any]) -> None:
        # CherryPy's form takes no request: it configures the current one.
        slot = serving.ambient()
        self.apply(config, slot.request, slot.response)

    def apply(self, config: dict[str, Any], request: Request, response: Response) -> None:
        """Apply ``config`` (namespaced keys) to ``request`` and ``response``."""
        from cherrypit._kernel.plan import Plan

        app = request.app
        Plan(config, app.toolboxes if app else {}).apply(request, response)


def _builtin_namespace(ns: str) -> Callable[[str, Any], None]:
    def apply_key(key: str, value: Any) -> None:
        Request.namespaces({f"{ns}.{key}": value})

    apply_key.__name__ = f"{ns}_namespace"
    return apply_key


class Request:
    """An HTTP request, as CherryPy handlers know it (``cherrypit.request``).

    Class attributes are the defaults; config keys ``request.<attr>`` override them
    per path.  Applications may set their own attributes on a request.
    """

    #: Handlers of the config namespaces a request's config may use (see
    #: :class:`RequestNamespaces`); the built-in ones are applied by the request plan.
    namespaces = RequestNamespaces()
    #: The previous request of an internal redirect chain, or ``None``.
    prev: Request | None = None
    local: Host = Host("127.0.0.1", 80)
    remote: Host = Host("127.0.0.1", 1111)
    scheme = "http"
    server_protocol = "HTTP/1.1"
    #: ``scheme://host[:port]`` from the Host header (or the local address).
    base = ""
    request_line = ""
    method = "GET"
    query_string = ""
    query_string_encoding = "utf8"
    uri_encoding = "utf-8"
    protocol: tuple[int, int] = (1, 1)
    params: dict[str, Any] = {}
    header_list: list[tuple[str, str]] = []
    headers: HeaderMap = HeaderMap()
    cookie: Lazy[SimpleCookie] = Lazy(_parse_cookie)
    _cookie_headers: tuple[str, ...] = ()
    #: The processed headers the WSGI gateway built from the environ, taken over by
    #: :meth:`process_headers` instead of reading ``header_list`` again.
    _environ_headers: HeaderMap | None = None
    rfile: Any = None
    _input_terminated = False
    process_request_body = True
    methods_with_bodies: Iterable[str] = ("POST", "PUT", "PATCH")
    body: Lazy[Any] = Lazy(_request_body)
    dispatch: Callable[[str], Any] = Dispatcher()
    script_name = ""
    path_info = "/"
    login: str | None = None
    app: Application | None = None
    handler: Any = None
    toolmaps: Mapping[str, Any] = {}
    config: dict[str, Any] = {}
    is_index: bool | None = None
    hooks: HookMap = _EMPTY_HOOKS
    error_response: Callable[[], None] = staticmethod(_default_error_response)
    error_page: dict[Any, Any] = {}
    #: Tracebacks in error pages: off unless the environment is "development".
    show_tracebacks = False
    show_mismatched_params = True
    #: Most path segments the default dispatcher walks; longer paths get 414 (0: no cap).
    max_path_segments = 1000
    #: Answer errors with a JSON document when the client's Accept prefers JSON
    #: (``False``: always HTML, as CherryPy).
    negotiate_errors = True
    throws: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, InternalRedirect)
    throw_errors = False
    closed = False
    stage: str | None = None
    unique_id: Lazy[str] = Lazy(lambda _request: str(uuid.uuid4()))
    #: Plugins' per-request values (:class:`~cherrypit.plugin.StashKey`).
    stash: Lazy[Stash] = Lazy(lambda _request: Stash())
    #: Peers whose forwarded headers (X-Forwarded-Host…) are believed; empty means
    #: the loopback addresses (see ``tools.proxy.trusted``).
    trusted_proxies: Iterable[str] = ()
    #: Whether a trusted proxy's headers already rewrote base/scheme/remote.
    forwarded_applied = False
    #: The path prefix a virtual-host dispatcher added to the URL's path; config
    #: sections found below it name ``tools.staticdir.section`` without it.
    dispatch_prefix = ""
    #: (settings, base, scheme, remote ip) before the forwarded headers were applied.
    forwarded_undo: tuple[Any, str, str, str] | None = None
    wsgi_environ: dict[str, Any] = {}
    json: Any = None
    #: The response :meth:`run` builds (paired by the gateway); ``None`` until then.
    _answer: Response | None = None
    # Set by the caching and JSON tools (CherryPy's names; applications read them).
    # Declared, not defaulted: as in CherryPy, they exist only once a tool set them.
    cached: bool
    cacheable: bool
    _json_inner_handler: Any

    def __init__(
        self,
        local_host: Host,
        remote_host: Host,
        scheme: str = "http",
        server_protocol: str = "HTTP/1.1",
    ) -> None:
        self.local = local_host
        self.remote = remote_host
        self.scheme = scheme
        self.server_protocol = server_protocol

    # -- CherryPy's entry point ------------------------------------------------------

    def run(
        self,
        method: str,
        path: str,
        query_string: str,
        req_protocol: str,
        headers: Iterable[tuple[str, str]],
        rfile: Any,
    ) -> Response:
        """Serve one request (CherryPy's ``Request.run``) and return the response.

        The response is the one the gateway paired with this request; code that calls
        ``run`` itself, as CherryPy allows, gets the current one.
        """
        response = self._answer or serving.ambient().response
        self.method = method
        self.query_string = query_string or ""
        self.params = {}
        server_protocol = self.server_protocol
        self.protocol = (
            (1, 1)
            if req_protocol == "HTTP/1.1" and server_protocol == "HTTP/1.1"
            else _protocol_tuple(req_protocol, server_protocol)
        )
        self.header_list = list(headers)
        self.rfile = rfile
        self.request_line = (
            f"{method} {path}{'?' + query_string if query_string else ''} {req_protocol}"
        )
        script_name = self.app.script_name if self.app is not None else ""
        self.script_name = script_name
        self.path_info = path[len(script_name) :] if path.startswith(script_name) else path
        self._answer = response
        self.respond(self.path_info)
        if method == "HEAD":
            dropped = response._body
            response._body = []
            close = getattr(dropped, "close", None)
            if close is not None:
                close()
        return response

    # -- the cycle -------------------------------------------------------------------

    def respond(self, path_info: str) -> None:
        """Run the cycle for ``path_info``, leaving the answer in the response of :meth:`run`."""
        response = self._answer or serving.ambient().response
        try:
            try:
                try:
                    self._do_respond(response, path_info)
                except (HTTPRedirect, HTTPError) as inst:
                    answer(inst, self, response)
                    # The answer is built: drop the traceback, whose frames hold this
                    # request (a NotFound handler would otherwise make a cycle that
                    # only the garbage collector frees).
                    inst.__traceback__ = None
                    self.stage = "before_finalize (HTTPError)"
                    self._run_point("before_finalize")
                    response.finalize()
            finally:
                self.stage = "on_end_resource"
                self._run_point("on_end_resource")
        except self.throws:
            raise
        except Exception:
            if self.throw_errors:
                raise
            self.handle_error(response)

    def _run_point(self, point: str) -> None:
        hooks = self.hooks._points.get(point)
        if hooks:
            self.hooks.run(point)

    def _do_respond(self, response: Response, path_info: str) -> None:
        app = self.app
        if app is None:
            raise NotFound()
        self.stage = "process_headers"
        self.process_headers()
        for step in app.pre_dispatch_steps():
            step(self)
        self.stage = "get_resource"
        self.get_resource(path_info)

        hooks = self.hooks._points
        self.stage = "on_start_resource"
        if hooks["on_start_resource"]:
            self.hooks.run("on_start_resource")

        self.stage = "process_query_string"
        if self.query_string:
            self.process_query_string()

        if self.process_request_body and self.method not in self.methods_with_bodies:
            self.process_request_body = False
        hooks = self.hooks._points
        self.stage = "before_request_body"
        if hooks["before_request_body"]:
            self.hooks.run("before_request_body")
        if self.process_request_body:
            self.body.process()

        self.stage = "before_handler"
        hooks = self.hooks._points
        if hooks["before_handler"]:
            self.hooks.run("before_handler")
        if self.handler:
            self.stage = "handler"
            body = self.handler()
            if body.__class__ not in _PLAIN_BODIES:
                check_result(body, self.handler, self)
            response.body = body

        self.stage = "before_finalize"
        if self.hooks._points["before_finalize"]:
            self.hooks.run("before_finalize")
        response.finalize()

    def process_headers(self) -> None:
        """Fill ``headers`` from ``header_list``, and compute ``base``."""
        headers = self._environ_headers
        if headers is not None:
            # The WSGI gateway built the map while it read the environ.
            self._environ_headers = None
            self.headers = headers
        else:
            headers = self.headers = new_header_map()
            setitem = dict.__setitem__
            titles = _TITLES
            cookies = []
            for name, value in self.header_list:
                title = titles.get(name)
                if title is None:
                    title = name.title()
                    if len(titles) < 4096:
                        titles[name] = title
                value = value.strip()
                if "=?" in value or not value.isascii():
                    value = decode_TEXT_maybe(value)
                setitem(headers, title, value)
                if title == "Cookie":
                    cookies.append(value)
            if cookies:
                self._cookie_headers = tuple(cookies)
        host = headers.get("Host")
        if host is None:
            if self.protocol >= (1, 1):
                raise HTTPError(400, "HTTP/1.1 requires a 'Host' request header.")
            host = self.local.name or self.local.ip
        elif "\r" in host or "\n" in host or not host.isascii():
            headers["Host"] = host = SanitizedHost(host)
        self.base = f"{self.scheme}://{host}"

    def process_query_string(self) -> None:
        """Merge the query string's parameters into ``params``."""
        try:
            parsed = parse_query_string(
                self.query_string, encoding=self.query_string_encoding, separators="&;"
            )
        except UnicodeDecodeError:
            raise HTTPError(
                404,
                "The given query string could not be processed. Query strings for this "
                f"resource must be encoded with {self.query_string_encoding!r}.",
            ) from None
        self.params.update(parsed)

    def get_resource(self, path: str) -> None:
        """Dispatch ``path``: sets ``handler``, ``config`` and the plan's settings."""
        app = self.app
        assert app is not None
        response = self._answer or serving.ambient().response
        dispatcher = app.dispatcher_for(path, self.dispatch)
        if type(dispatcher).__call__ is CycleDispatcher.__call__:
            dispatcher.dispatch_request(self, response, path)
        else:
            dispatcher(path)  # CherryPy's dispatcher interface
        if self.hooks is _EMPTY_HOOKS:
            # A plain callable dispatcher (CherryPy allows any) set request.handler and
            # request.config itself without a plan: apply that config as CherryPy does.
            self.namespaces.apply(self.config, self, response)

    def apply_trail(self, trail: Trail, handler: Any, response: Response | None = None) -> None:
        """Install what a dispatcher found: config plan, handler, index flag.

        :param response: the response of this request (default: the one :meth:`run`
            is building).
        """
        self.is_index = trail.is_index
        self.handler = handler
        app = self.app
        assert app is not None
        try:
            sections = trail.sections
            prefix = self.dispatch_prefix
            if sections and prefix:
                sections = {
                    key: path[len(prefix) :] if path.startswith(prefix) else path
                    for key, path in sections.items()
                }
                plan = app.plan_for(trail.sources, sections)
            else:
                # A trail the dispatcher reuses (only while the config is unchanged)
                # keeps its plan: no lookup needed while its sources, dicts handlers
                # may edit in place, are unchanged.
                kept = trail.plan
                if kept is not None and kept[1] == trail.sources:
                    plan = kept[0]
                else:
                    plan = app.plan_for(trail.sources, sections)
                    trail.plan = (plan, [dict(source) for source in trail.sources])
        except Exception:
            # The plan carries the error-logging tools, so log this one here.
            from cherrypit._kernel import site

            site.log("Could not set up the request from its config:", "REQUEST", 40, True)
            raise
        if response is None:
            response = self._answer or serving.ambient().response
        plan.apply(self, response)

    def handle_error(self, response: Response) -> None:
        """Answer an unexpected exception (``before_error_response`` … ``finalize``)."""
        try:
            self._run_point("before_error_response")
            error_response = self.error_response
            if error_response is _default_error_response:
                answer(HTTPError(500), self, response)
            elif error_response is not None:
                error_response()
            self._run_point("after_error_response")
            response.finalize()
        except HTTPRedirect as inst:
            answer(inst, self, response)
            response.finalize()

    def close(self) -> None:
        """Run ``on_end_request`` once (after the response was sent)."""
        if not self.closed:
            self.closed = True
            self.stage = "on_end_request"
            try:
                self._run_point("on_end_request")
            finally:
                body = self.__dict__.get("body")
                if body is not None:
                    # Spooled uploads live in temporary files: free them now.
                    body.close()
            self.stage = "close"


for _ns in ("hooks", "request", "response", "error_page", "tools"):
    Request.namespaces[_ns] = _builtin_namespace(_ns)
del _ns


def _protocol_tuple(req_protocol: str, server_protocol: str) -> tuple[int, int]:
    # The response speaks the lower of the two protocol versions.
    def parse(text: str) -> tuple[int, int]:
        try:
            major, minor = text[5:].split(".", 1)
            return int(major), int(minor)
        except ValueError:
            return (1, 0)

    rp = parse(req_protocol) if req_protocol != "HTTP/1.1" else (1, 1)
    sp = parse(server_protocol) if server_protocol != "HTTP/1.1" else (1, 1)
    return min(rp, sp)


# --- the response --------------------------------------------------------------------

_date_cache: tuple[int, str] = (0, "")


def _http_date(now: float) -> str:
    global _date_cache
    second = int(now)
    if _date_cache[0] != second:
        from cherrypit._kernel.httputil import HTTPDate

        _date_cache = (second, HTTPDate(now))
    return _date_cache[1]


class FileChunks:
    """Iterate a file in chunks; closing it (even before iterating) closes the file."""

    __slots__ = ("chunk_size", "fileobj")

    def __init__(self, fileobj: Any, chunk_size: int = 65536) -> None:
        self.fileobj = fileobj
        self.chunk_size = chunk_size

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk: bytes = self.fileobj.read(self.chunk_size)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        close = getattr(self.fileobj, "close", None)
        if close is not None:
            close()


class EncodedChunks:
    """Iterate a handler's chunks as bytes (str → UTF-8); ``close()`` reaches the source."""

    __slots__ = ("_close", "_iterator")

    def __init__(self, chunks: Iterable[Any]) -> None:
        self._iterator = iter(chunks)
        self._close = getattr(chunks, "close", None)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        while True:
            chunk = next(self._iterator)
            if isinstance(chunk, str):
                return chunk.encode("utf-8")
            if chunk:
                return chunk  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._close is not None:
            self._close()


class ResponseBody:
    """Descriptor normalising ``response.body`` to an iterable of bytes.

    Strings become UTF-8 (CherryPy refused them without ``tools.encode``; the encode
    tool still decides the charset when it is on), files become chunk generators and
    ``None`` an empty body.
    """

    #: Why a text body cannot be sent as it is (kept for code that reads it).
    unicode_err = "Page handlers must return bytes; text is encoded by tools.encode or as UTF-8"

    def __get__(self, obj: Response | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj._body

    def __set__(self, obj: Response, value: Any) -> None:
        if isinstance(value, bytes):
            obj._body = [value] if value else []
        elif isinstance(value, str):
            obj._body = [value.encode("utf-8")] if value else []
        elif isinstance(value, list):
            if any(isinstance(v, str) for v in value):
                value = [v.encode("utf-8") if isinstance(v, str) else v for v in value]
            obj._body = value
        elif value is None:
            obj._body = []
        elif isinstance(value, (FileChunks, EncodedChunks)):
            obj._body = value
        elif hasattr(value, "read"):
            obj._body = FileChunks(value)
        else:
            obj._body = EncodedChunks(value)


SERVER_HEADER = f"cherrypit/{VERSION}"


class Response:
    """The answer being built (``cherrypit.response``)."""

    status: Any = ""
    header_list: list[tuple[str, str]] | None = None
    #: Class-level default (CherryPy documents it); each response has its own.
    headers: HeaderMap = HeaderMap()
    cookie: Lazy[SimpleCookie] = Lazy(lambda _response: SimpleCookie())
    #: Plugins' per-response values (:class:`~cherrypit.plugin.StashKey`).
    stash: Lazy[Stash] = Lazy(lambda _response: Stash())
    body = ResponseBody()
    _body: Any = ()
    time: float = 0.0
    #: Seconds a response may take (kept for compatibility; no monitor enforces it).
    timeout = 300
    timed_out = False
    #: Send the body as it is produced instead of collapsing it first.
    stream = False
    #: The entity tag ``tools.etags`` computed (CherryPy's name); set only by the tool.
    ETag: str | None

    def __init__(self) -> None:
        self.status = None
        self.header_list = None
        self._body = []
        now = self.time = time.time()
        headers = self.headers = new_header_map()
        dict.__setitem__(headers, "Content-Type", "text/html")
        dict.__setitem__(headers, "Server", SERVER_HEADER)
        dict.__setitem__(headers, "Date", _http_date(now))

    def collapse_body(self) -> bytes:
        """Join the body into one bytes object (and keep it as the body)."""
        body = self._body
        if isinstance(body, list) and len(body) == 1:
            content: bytes = body[0]
            return content
        try:
            content = b"".join(body)
        except TypeError as exc:
            raise body_chunk_error(exc) from None
        self._body = [content] if content else []
        return content

    def check_timeout(self) -> None:  # pragma: no cover - compat no-op
        """CherryPy compat: response timeouts are not monitored by cherrypit."""

    def finalize(self) -> None:
        """Fix the status line and headers (Content-Length, cookies) before sending."""
        if self.status is None:
            code = 200
            self.status = "200 OK"
        else:
            try:
                code, reason, _ = valid_status(self.status)
            except ValueError as exc:
                raise HTTPError(500, exc.args[0]) from None
            self.status = f"{code} {reason}"
        headers = self.headers
        if self.stream:
            if dict.get(headers, "Content-Length") is None:
                dict.pop(headers, "Content-Length", None)
        elif code < 200 or code in (204, 205, 304):
            dict.pop(headers, "Content-Length", None)
            self._body = []
        elif dict.get(headers, "Content-Length") is None:
            dict.__setitem__(headers, "Content-Length", str(len(self.collapse_body())))
        out = self.header_list = [
            # Fast path only for ASCII: PEP 3333 headers must be ISO-8859-1 encodable.
            (
                k if k in _GOOD_NAMES else _checked_name(k),
                v if isinstance(v, str) and v.isascii() and v.isprintable() else _clean_value(v),
            )
            for k, v in headers.items()
        ]
        jar = self.__dict__.get("cookie")
        if jar:
            for line in jar.output().split("\r\n"):
                name, _, value = line.partition(": ")
                if not (value.isascii() and value.isprintable()):
                    value = _clean_value(value)
                out.append((name, value))


_CONTROL = str.maketrans("", "", "".join(map(chr, [*range(32), 127])))


# RFC 9110 field names are "tokens"; anything else (CR, LF, ':' …) could forge headers.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_NOT_TOKEN = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")


#: Header names already seen to be valid tokens (bounded; names repeat a lot).
_GOOD_NAMES: set[str] = {"Content-Type", "Content-Length", "Server", "Date", "Location"}


def _checked_name(name: Any) -> str:
    if isinstance(name, str) and _TOKEN.fullmatch(name):
        if len(_GOOD_NAMES) < 1024:
            _GOOD_NAMES.add(name)
        return name
    return _clean_name(name)


def _clean_name(name: Any) -> str:
    """A header name reduced to token characters (an empty result becomes ``X-Invalid``)."""
    return _NOT_TOKEN.sub("", str(name)) or "X-Invalid"


def _clean_value(value: Any) -> str:
    """A header value with control characters removed, encodable as ISO-8859-1."""
    # Bytes are the value's wire form (CherryPy accepts them), not something to repr.
    raw = value.decode("iso-8859-1") if isinstance(value, (bytes, bytearray)) else str(value)
    text = raw.translate(_CONTROL)
    try:
        text.encode("iso-8859-1")
    except UnicodeEncodeError:
        text = HeaderMap.encode(text).decode("iso-8859-1")
    return text
