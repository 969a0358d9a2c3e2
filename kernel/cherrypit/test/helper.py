"""CherryPy's ``cherrypy.test.helper`` import path: :class:`CPWebCase` for unittest suites.

A ``CPWebCase`` subclass mounts its applications in a ``setup_server`` staticmethod;
the class then starts the real engine and HTTP server on ``127.0.0.1`` (a free port)
and its tests talk to it over :mod:`http.client`::

    class HelloTest(CPWebCase):
        @staticmethod
        def setup_server():
            cherrypit.tree.mount(Root())

        def test_index(self):
            self.getPage("/")
            self.assertStatus(200)
            self.assertBody("Hello")

Differences from CherryPy: the port is chosen per class instead of 54583, the
process-wide site is reset before and after each class, assertion failures never
prompt (``interactive`` is always false), and no ``/gc`` page or ``test_gc`` is added.
Works under pytest and plain ``unittest``.
"""

from __future__ import annotations

import datetime
import http.client
import re
import ssl
import unittest
from collections.abc import Iterable
from typing import Any, ClassVar

from cherrypit._kernel import site
from cherrypit._kernel.errors import get_error_page
from cherrypit._kernel.httputil import urljoin
from cherrypit.testing import free_port, fresh_site

__all__ = ["CPWebCase"]

Headers = list[tuple[str, str]]

_METHODS_WITH_BODIES = ("POST", "PUT", "PATCH")


def _as_bytes(value: str | bytes, encoding: str) -> bytes:
    return value.encode(encoding) if isinstance(value, str) else value


class CPWebCase(unittest.TestCase):
    """A unittest case that serves ``setup_server``'s applications over real HTTP."""

    #: Address the server binds and the client connects to.
    HOST: ClassVar[str] = "127.0.0.1"
    #: The server's port; chosen (free) when the class is set up.
    PORT: ClassVar[int] = 0
    #: The protocol of the request line (``getPage(protocol=...)`` overrides it).
    PROTOCOL: ClassVar[str] = "HTTP/1.1"
    #: A connection class (a new connection per request) or an open connection
    #: (persistent; see :meth:`set_persistent`).
    HTTP_CONN: ClassVar[Any] = http.client.HTTPConnection
    scheme: ClassVar[str] = "http"
    #: Prefix added to every ``getPage`` URL (the mount point under test).
    script_name: ClassVar[str] = ""
    #: TLS context for ``scheme = "https"`` clients.
    ssl_context: ClassVar[ssl.SSLContext | None] = None
    #: Failures raise at once; CherryPy could stop and prompt, which hung test runners.
    interactive: ClassVar[bool] = False
    encoding: ClassVar[str] = "utf-8"
    #: Seconds two dates may differ in :meth:`assertEqualDates`.
    date_tolerance: ClassVar[float] = 2

    #: Status line of the last response, e.g. ``"200 OK"``.
    status: str | None = None
    #: Headers of the last response, in order.
    headers: Headers = []
    #: Body of the last response.
    body: bytes = b""
    #: ``("Cookie", value)`` pairs built from the last response's ``Set-Cookie`` headers.
    cookies: Headers = []
    #: The last URL requested, and how long it took (seconds).
    url: bytes | None = None
    time: float | None = None

    _cpwebcase_running: ClassVar[bool] = False

    # -- class set-up ------------------------------------------------------------------

    @classmethod
    def setup_class(cls) -> None:
        """Reset the site, run ``setup_server`` and start the engine and server."""
        if cls.__dict__.get("_cpwebcase_running"):
            return  # pytest calls both setup_class and setUpClass
        fresh_site()
        cls.PORT = free_port(cls.HOST)
        site.config.update(
            {
                "server.socket_host": cls.HOST,
                "server.socket_port": cls.PORT,
                "environment": "test_suite",
            }
        )
        setup_server = getattr(cls, "setup_server", None)
        if setup_server is None:
            cls._cpwebcase_running = True
            return
        try:
            setup_server()
            site.engine.start()
        except BaseException:
            fresh_site()
            raise
        cls._cpwebcase_running = True

    @classmethod
    def teardown_class(cls) -> None:
        """Stop the engine and reset the site."""
        if not cls.__dict__.get("_cpwebcase_running"):
            return
        cls._cpwebcase_running = False
        conn = cls.HTTP_CONN
        if not isinstance(conn, type):
            conn.close()
            cls.HTTP_CONN = http.client.HTTPConnection
        # fresh_site() stops a running engine (and its server) before resetting.
        fresh_site()

    @classmethod
    def setUpClass(cls) -> None:
        cls.setup_class()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.teardown_class()

    # -- requests ----------------------------------------------------------------------

    def prefix(self) -> str:
        return self.script_name.rstrip("/")

    def base(self) -> str:
        """``scheme://host[:port]/script_name`` of the server under test."""
        default = (self.scheme == "http" and self.PORT == 80) or (
            self.scheme == "https" and self.PORT == 443
        )
        port = "" if default else f":{self.PORT}"
        return f"{self.scheme}://{self.HOST}{port}{self.prefix()}"

    def _connection_class(self) -> type[http.client.HTTPConnection]:
        return http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection

    def get_conn(self, auto_open: bool = False) -> http.client.HTTPConnection:
        """A new, connected connection to the server."""
        conn = self._new_conn()
        conn.auto_open = auto_open
        conn.connect()
        return conn

    def _new_conn(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.HOST, self.PORT, context=self.ssl_context)
        return http.client.HTTPConnection(self.HOST, self.PORT)

    def set_persistent(self, on: bool = True, auto_open: bool = False) -> None:
        """Use one kept-alive connection for the following requests (or stop doing so)."""
        conn = type(self).HTTP_CONN
        if not isinstance(conn, type):
            conn.close()
        type(self).HTTP_CONN = self.get_conn(auto_open) if on else self._connection_class()

    @property
    def persistent(self) -> bool:
        return not isinstance(type(self).HTTP_CONN, type)

    @persistent.setter
    def persistent(self, on: bool) -> None:
        self.set_persistent(on)

    def getPage(
        self,
        url: str | bytes,
        headers: Iterable[tuple[str, str]] | None = None,
        method: str = "GET",
        body: str | bytes | None = None,
        protocol: str | None = None,
    ) -> tuple[str, Headers, bytes]:
        """Send one request; store and return ``(status, headers, body)``.

        ``url`` is a server-absolute path (with query string); ``script_name`` is
        prepended.  ``Host`` is added when missing, and requests with a body get a
        ``Content-Type`` (form-encoded) and ``Content-Length`` if they lack them.
        """
        text_url = url.decode("utf-8") if isinstance(url, bytes) else url
        if self.script_name:
            text_url = urljoin(self.script_name, text_url)
        payload = None if body is None else _as_bytes(body, "utf-8")
        protocol = protocol or self.PROTOCOL
        method = method.upper()
        request_headers = self._complete_headers(list(headers or []), method, payload)

        self.url = text_url.encode("utf-8")
        start = datetime.datetime.now()
        persistent = type(self).HTTP_CONN
        conn: Any = self._new_conn() if isinstance(persistent, type) else persistent
        try:
            # http.client has no public switch for the request-line version.
            conn._http_vsn_str = protocol
            conn._http_vsn = int("".join(c for c in protocol if c.isdigit()))
            conn.putrequest(method, text_url, skip_host=True, skip_accept_encoding=True)
            for name, value in request_headers:
                conn.putheader(name, value.encode("latin-1"))
            conn.endheaders()
            if payload is not None:
                conn.send(payload)
            response = conn.getresponse()
            self.status = f"{response.status} {response.reason}"
            self.headers = list(response.getheaders())
            self.body = response.read()
        finally:
            if isinstance(persistent, type):
                conn.close()
        self.time = (datetime.datetime.now() - start).total_seconds()
        self.cookies = [("Cookie", v) for k, v in self.headers if k.lower() == "set-cookie"]
        return self.status, self.headers, self.body

    def _complete_headers(self, headers: Headers, method: str, payload: bytes | None) -> Headers:
        names = {name.lower() for name, _ in headers}
        if "host" not in names:
            default = (self.scheme == "http" and self.PORT == 80) or (
                self.scheme == "https" and self.PORT == 443
            )
            headers.append(("Host", self.HOST if default else f"{self.HOST}:{self.PORT}"))
        if method in _METHODS_WITH_BODIES or payload is not None:
            if "content-type" not in names and method in _METHODS_WITH_BODIES:
                headers.append(("Content-Type", "application/x-www-form-urlencoded"))
            if "content-length" not in names and "transfer-encoding" not in names:
                headers.append(("Content-Length", str(len(payload or b""))))
        return headers

    # -- assertions --------------------------------------------------------------------

    def _handlewebError(self, msg: str) -> None:
        raise self.failureException(msg)

    @property
    def status_code(self) -> int:
        """The numeric status of the last response."""
        return int((self.status or "0")[:3])

    def status_matches(self, expected: int | str) -> bool:
        if isinstance(expected, int):
            return expected == self.status_code
        if expected.isdigit():
            return int(expected) == self.status_code
        return expected == self.status

    def assertStatus(self, status: int | str | Iterable[int | str], msg: str | None = None) -> None:
        """Fail unless the status is ``status`` (code, full status line, or any of several)."""
        options = [status] if isinstance(status, (int, str)) else list(status)
        if not any(self.status_matches(option) for option in options):
            self._handlewebError(msg or f"Status {self.status} does not match {status}")

    def assertHeader(self, key: str, value: Any = None, msg: str | None = None) -> str | None:
        """Fail unless header ``key`` is present (with exactly ``value``); return its value."""
        lowkey = key.lower()
        for name, actual in self.headers:
            if name.lower() == lowkey and (value is None or str(value) == actual):
                return actual
        if msg is None:
            shown = repr(key) if value is None else f"{key!r}:{value!r}"
            msg = f"{shown} not in headers"
        self._handlewebError(msg)
        return None

    def assertHeaderIn(
        self, key: str, values: Iterable[Any], msg: str | None = None
    ) -> list[Any] | None:
        """Fail unless header ``key`` has one of ``values``; return the matches."""
        lowkey = key.lower()
        wanted = list(values)
        for name, actual in self.headers:
            if name.lower() == lowkey:
                matches = [v for v in wanted if str(v) == actual]
                if matches:
                    return matches
        self._handlewebError(msg or f"{key!r} not in {wanted!r}")
        return None

    def assertHeaderItemValue(self, key: str, value: str, msg: str | None = None) -> str | None:
        """Fail unless ``value`` is one of the comma-separated items of header ``key``."""
        actual = self.assertHeader(key, msg=msg)
        items = [item.strip() for item in (actual or "").split(",")]
        if value in items:
            return value
        self._handlewebError(msg or f"{value!r} not in {items!r}")
        return None

    def assertNoHeader(self, key: str, msg: str | None = None) -> None:
        """Fail if header ``key`` is present."""
        lowkey = key.lower()
        if any(name.lower() == lowkey for name, _ in self.headers):
            self._handlewebError(msg or f"{key!r} in headers")

    def assertNoHeaderItemValue(self, key: str, value: str, msg: str | None = None) -> None:
        """Fail if header ``key`` has exactly the value ``value``."""
        lowkey = key.lower()
        if any(name.lower() == lowkey and actual == value for name, actual in self.headers):
            self._handlewebError(msg or f"{key!r}:{value!r} in {self.headers!r}")

    def assertBody(self, value: str | bytes, msg: str | None = None) -> None:
        """Fail unless the body is exactly ``value`` (text is encoded first)."""
        expected = _as_bytes(value, self.encoding)
        if expected != self.body:
            self._handlewebError(
                msg or f"expected body:\n{expected!r}\n\nactual body:\n{self.body!r}"
            )

    def assertInBody(self, value: str | bytes, msg: str | None = None) -> None:
        """Fail unless ``value`` occurs in the body."""
        expected = _as_bytes(value, self.encoding)
        if expected not in self.body:
            self._handlewebError(msg or f"{expected!r} not in body: {self.body!r}")

    def assertNotInBody(self, value: str | bytes, msg: str | None = None) -> None:
        """Fail if ``value`` occurs in the body."""
        expected = _as_bytes(value, self.encoding)
        if expected in self.body:
            self._handlewebError(msg or f"{expected!r} found in body")

    def assertMatchesBody(
        self, pattern: str | bytes, msg: str | None = None, flags: int = 0
    ) -> None:
        """Fail unless the regular expression ``pattern`` matches somewhere in the body."""
        regex = _as_bytes(pattern, self.encoding)
        if re.search(regex, self.body, flags) is None:
            self._handlewebError(msg or f"No match for {regex!r} in body")

    def assertErrorPage(
        self, status: int | str, message: str | None = None, pattern: str | None = ""
    ) -> None:
        """Fail unless the body is the error page for ``status`` (and ``message``).

        ``pattern`` is looked for, literally, in the page's traceback; ``None`` means
        the page must show no traceback at all.
        """
        self.assertStatus(status)
        page = get_error_page(status, message=message)
        marker = b'<pre id="traceback"></pre>'
        expected = re.escape(page).replace(
            re.escape(marker), re.escape(b'<pre id="traceback">') + b"(.*)" + re.escape(b"</pre>")
        )
        found = re.match(expected, self.body, re.DOTALL)
        if found is None:
            self._handlewebError("Error page does not match; expected:\n" + page.decode())
            return
        traceback = found.group(1) if found.groups() else b""
        if pattern is None:
            if traceback:
                self._handlewebError("Error page contains traceback")
        elif pattern and re.search(re.escape(_as_bytes(pattern, self.encoding)), traceback) is None:
            self._handlewebError(f"Error page does not contain {pattern!r} in traceback")

    def assertEqualDates(
        self,
        dt1: datetime.datetime,
        dt2: datetime.datetime,
        seconds: float | None = None,
    ) -> None:
        """Fail unless the two datetimes are less than ``seconds`` apart."""
        tolerance = self.date_tolerance if seconds is None else seconds
        if not abs(dt1 - dt2) < datetime.timedelta(seconds=tolerance):
            raise AssertionError(f"{dt1!r} and {dt2!r} are not within {tolerance!r} seconds.")

    # -- misc --------------------------------------------------------------------------

    def skip(self, msg: str = "skipped ") -> None:
        raise unittest.SkipTest(msg)

    def exit(self) -> None:
        raise SystemExit()
