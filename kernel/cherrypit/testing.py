"""Testing support: an in-process client, a site reset, and a pytest plugin.

The :class:`Client` calls a WSGI application (``cherrypit.tree`` by default) directly —
no socket, no engine start — keeps cookies, and follows nothing implicitly::

    from cherrypit.testing import Client

    def test_hello(site_reset):
        cherrypit.tree.mount(Root())
        r = Client().get("/")
        assert r.status == 200 and r.text == "hello"

The pytest fixtures: ``site_reset`` (a fresh site with the installed plugins),
``kernel`` (a fresh site with no entry-point plugins), ``client``, ``mount`` (mount an
app, get a client), ``error_log`` (records written to the error logs) and
``live_server``.  They reach pytest through the ``pytest11`` entry point ``cherrypit``
(:mod:`cherrypit.pytest_plugin`); ``-p no:cherrypit`` opts out.
"""

from __future__ import annotations

import io
import json as _json
import logging
import re
import socket
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from http.cookies import SimpleCookie
from typing import Any

from cherrypit._kernel import serving, site
from cherrypit._kernel.request import Request
from cherrypit._kernel.tree import Application
from cherrypit._kernel.wsgi import RAISE_ERRORS_KEY

__all__ = [
    "Client",
    "LogRecords",
    "TestResponse",
    "capture_error_log",
    "config_warnings",
    "free_port",
    "fresh_site",
    "mount_and_client",
    "site_context",
]


class TestResponse:
    """What an in-process request answered."""

    __test__ = False  # not a pytest test class

    def __init__(self, status_line: str, headers: list[tuple[str, str]], body: bytes) -> None:
        #: e.g. ``"404 Not Found"``
        self.status_line = status_line
        #: the numeric status code
        self.status = int(status_line.split(" ", 1)[0])
        #: response headers as sent, in order (repeated names repeated)
        self.header_list = headers
        #: the body, as bytes (empty for HEAD)
        self.body = body

    @property
    def reason(self) -> str:
        return self.status_line.partition(" ")[2]

    @property
    def headers(self) -> dict[str, str]:
        """Headers by lower-case name (repeated names joined with ``, ``)."""
        out: dict[str, str] = {}
        for name, value in self.header_list:
            key = name.lower()
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name`` (case-insensitive)."""
        lname = name.lower()
        for key, value in self.header_list:
            if key.lower() == lname:
                return value
        return default

    def header_values(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.header_list if k.lower() == lname]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def error_message(self) -> str | None:
        """The message of an error answer: the page's first paragraph, or the JSON
        document's ``message`` (``None`` when there is no such thing)."""
        if (self.header("Content-Type") or "").startswith("application/json"):
            try:
                message = _json.loads(self.body).get("message")
            except (ValueError, AttributeError):
                return None
            return message if isinstance(message, str) else None
        found = re.search(r"<p>(.*?)</p>", self.text, re.S)
        return found.group(1) if found else None

    def json(self) -> Any:
        return _json.loads(self.body)

    def __repr__(self) -> str:
        return f"<TestResponse {self.status_line} {len(self.body)} bytes>"


def _encode_multipart(
    fields: Mapping[str, Any], files: Mapping[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            out.write(f"--{boundary}\r\n".encode())
            out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
            out.write(str(item).encode("utf-8") + b"\r\n")
    for name, (filename, data, ctype) in files.items():
        out.write(f"--{boundary}\r\n".encode())
        out.write(
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class Client:
    """Send requests to a WSGI application in-process.

    :param app: the WSGI callable (default: ``cherrypit.tree``).
    :param host: the ``Host`` header and server name.
    :param scheme: ``http`` or ``https`` (``wsgi.url_scheme``).
    :param remote_addr: the client address the application sees.
    """

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]] | None = None,
        host: str = "127.0.0.1:8080",
        scheme: str = "http",
        remote_addr: str = "127.0.0.1",
    ) -> None:
        self.app = app
        self.host = host
        self.scheme = scheme
        self.remote_addr = remote_addr
        #: cookies sent back on later requests (name → value)
        self.cookies: dict[str, str] = {}
        #: The ``wsgi.errors`` stream of every request: what a WSGI server would put in
        #: its error log (with ``log.screen`` off, errors land here).
        self.errors = io.StringIO()

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes | str | None = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        json: Any = None,
        protocol: str = "HTTP/1.1",
    ) -> TestResponse:
        """Send one request; nothing (redirects included) is followed."""
        path, _, qs = path.partition("?")
        if query is not None:
            extra = query if isinstance(query, str) else urllib.parse.urlencode(query, doseq=True)
            qs = f"{qs}&{extra}" if qs else extra
        header_items = list(headers.items() if isinstance(headers, Mapping) else headers or [])
        content_type = None
        if json is not None:
            body = _json.dumps(json).encode("utf-8")
            content_type = "application/json"
        elif files:
            body, content_type = _encode_multipart(data or {}, files)
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        if isinstance(body, str):
            body = body.encode("utf-8")

        host, _, port = self.host.partition(":")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method.upper(),
            "SCRIPT_NAME": "",
            "PATH_INFO": urllib.parse.unquote(path, "iso-8859-1"),
            "QUERY_STRING": qs,
            "SERVER_NAME": host,
            "SERVER_PORT": port or ("443" if self.scheme == "https" else "80"),
            "SERVER_PROTOCOL": protocol,
            "REMOTE_ADDR": self.remote_addr,
            "REMOTE_PORT": "54321",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": io.BytesIO(body or b""),
            "wsgi.errors": self.errors,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            # request.throw_errors: the exception reaches the test, not an error page.
            RAISE_ERRORS_KEY: True,
            "HTTP_HOST": self.host,
        }
        if body is not None:
            environ["CONTENT_LENGTH"] = str(len(body))
        if content_type:
            environ["CONTENT_TYPE"] = content_type
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for name, value in header_items:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            elif key == "HOST":
                environ["HTTP_HOST"] = value
            else:
                cgi = "HTTP_" + key
                environ[cgi] = f"{environ[cgi]}, {value}" if cgi in environ else value

        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"] = status
            captured["headers"] = list(headers)
            return lambda data: None

        app = self.app if self.app is not None else site.tree
        result = app(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        response = TestResponse(captured["status"], captured["headers"], payload)
        self._store_cookies(response)
        return response

    def _store_cookies(self, response: TestResponse) -> None:
        for value in response.header_values("Set-Cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                expired = morsel["max-age"] == "0" or (
                    morsel["expires"] and "1970" in str(morsel["expires"])
                )
                if expired:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.request("GET", path, **kw)

    def head(self, path: str, **kw: Any) -> TestResponse:
        return self.request("HEAD", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> TestResponse:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> TestResponse:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.request("DELETE", path, **kw)

    def options(self, path: str, **kw: Any) -> TestResponse:
        return self.request("OPTIONS", path, **kw)


class _TestEngineExit(RuntimeError):
    """Raised instead of ending the process when the engine gives up in a test."""


def _raise_instead_of_exit(code: int) -> None:
    raise _TestEngineExit(f"the engine would have ended the process with status {code}")


_BUILTIN_REQUEST_NAMESPACES = frozenset(Request.namespaces)


def fresh_site(autoload: bool = True, plugins: Iterable[tuple[str, Any]] = ()) -> None:
    """Reset the global site: config, tree, tools, plugins, engine listeners, log.

    :param autoload: load entry-point plugins on demand (``False``: only ``plugins``).
    :param plugins: ``(name, plugin)`` pairs registered by hand (stub plugins).
    """
    site.default.reset(autoload, plugins, on_fatal_exit=_raise_instead_of_exit)
    # Class-level registries that libraries extend (toolboxes, namespaces).
    Application.toolboxes.clear()
    Application.toolboxes["tools"] = site.toolbox
    Application.namespaces.clear()
    for ns in [ns for ns in Request.namespaces if ns not in _BUILTIN_REQUEST_NAMESPACES]:
        del Request.namespaces[ns]
    serving.current().clear()


@contextmanager
def site_context(autoload: bool = True, plugins: Iterable[tuple[str, Any]] = ()) -> Iterator[None]:
    """A fresh site for the ``with`` block (see :func:`fresh_site`), reset again after it.

    :param autoload: load entry-point plugins on demand inside the block.
    :param plugins: ``(name, plugin)`` pairs registered by hand inside the block.
    """
    fresh_site(autoload, plugins)
    try:
        yield
    finally:
        fresh_site(autoload=True)


class LogRecords(logging.Handler):
    """A log handler that keeps the records it is given (see the ``error_log`` fixture)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        #: The records, oldest first.
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        """Every message (with its traceback, if any), one per line."""
        formatter = logging.Formatter("%(message)s")
        return "\n".join(formatter.format(record) for record in self.records)


@contextmanager
def capture_error_log() -> Iterator[LogRecords]:
    """Collect what the site's and the applications' error logs receive."""
    handler = LogRecords()
    logger = logging.getLogger("cherrypy.error")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def mount_and_client(
    root: Any = None,
    config: Mapping[str, Any] | None = None,
    script_name: str = "",
    **client_options: Any,
) -> Client:
    """Mount ``root`` on ``cherrypit.tree`` and return an in-process client for it."""
    site.tree.mount(root, script_name, dict(config) if config is not None else None)
    return Client(**client_options)


def config_warnings() -> list[str]:
    """The start-up check's warnings for the current site (keys CherryPy accepts but
    that are probably misspelt); ``checker.strict = True`` makes them errors."""
    from cherrypit._kernel import configcheck

    return configcheck.check_site(site.default).warnings


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


# --- pytest plugin ---------------------------------------------------------------------

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is optional at run time
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def site_reset() -> Iterator[None]:
        """A fresh global site with the installed plugins (loaded on demand)."""
        with site_context(autoload=True):
            yield

    @pytest.fixture
    def kernel() -> Iterator[None]:
        """A fresh global site with no entry-point plugins (the bare kernel)."""
        with site_context(autoload=False):
            yield

    @pytest.fixture
    def mount(site_reset: None) -> Callable[..., Client]:
        """``mount(root, config=None, script_name="", **client_options)`` on a fresh site.

        Mounts the application and returns a :class:`Client` for it.
        """
        return mount_and_client

    @pytest.fixture
    def error_log() -> Iterator[LogRecords]:
        """Everything written to the error logs (site and applications) during the test."""
        with capture_error_log() as records:
            yield records

    @pytest.fixture
    def client(site_reset: None) -> Client:
        """An in-process client for ``cherrypit.tree`` on a fresh site."""
        return Client()

    @pytest.fixture
    def live_server(site_reset: None) -> Iterator[str]:
        """Start the engine with the HTTP server on a free 127.0.0.1 port; yields its base URL.

        Mount applications before using the URL; the engine is stopped afterwards.
        """
        port = free_port()
        site.config.update(
            {"server.socket_host": "127.0.0.1", "server.socket_port": port, "log.screen": False}
        )
        site.engine.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            site.engine.stop()
