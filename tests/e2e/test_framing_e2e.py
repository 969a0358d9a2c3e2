"""Hostile request framing over a real socket: 400 (or 408) and the connection closed.

Each case sends raw bytes to a cherrypit site on the real server and reads until the
server closes the connection.  A framing error must be answered once, with a 4xx, the
connection closed (nobody knows where a next request would start), no second
response (no smuggled request), and at most one line in the error log, without a
traceback.  The expectations follow RFC 9112 §6.1, §6.3, §7.1 and RFC 9110 §5.5;
where CherryPy 18 accepts a framing that is merely unusual (folded lines after the
first, a repeated identical ``Content-Length``), it is still accepted.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

import cherrypit
from cherrypit.testing import LogRecords, capture_error_log, free_port, site_context

pytestmark = pytest.mark.e2e

# Long enough to never fire in a test that passes; a hang fails the read below first.
SOCKET_TIMEOUT = 60
READ_TIMEOUT = 10.0
BODY_LIMIT = 1_000_000
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "home"

    @cherrypit.expose
    def raw(self) -> str:
        return f"read {len(cherrypit.request.body.read())}"

    @cherrypit.expose
    def ignore(self) -> str:
        return "ignored the body"

    @cherrypit.expose
    def form(self, **params: str) -> str:
        return "form " + ",".join(f"{k}={v}" for k, v in sorted(params.items()))

    @cherrypit.expose
    def params(self, **params: str) -> str:
        return "params " + ",".join(f"{k}={v}" for k, v in sorted(params.items()))

    @cherrypit.expose
    def header(self, name: str) -> str:
        return repr(cherrypit.request.headers.get(name))


def start_site(**server_settings: Any) -> int:
    port = free_port()
    settings = {f"server.{k}": v for k, v in server_settings.items()}
    cherrypit.config.update(
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": port,
            "server.socket_timeout": SOCKET_TIMEOUT,
            "log.screen": False,
            "request.show_tracebacks": False,
            "engine.autoreload.on": False,
            **settings,
        }
    )
    cherrypit.tree.mount(Root(), "")
    cherrypit.engine.start()
    return port


@pytest.fixture(scope="module")
def site() -> Iterator[int]:
    """A cherrypit site on the real server, shared by this module's tests; yields its port."""
    with site_context(autoload=True):
        port = start_site(max_request_body_size=BODY_LIMIT)
        try:
            yield port
        finally:
            cherrypit.engine.stop()


class Exchange:
    """What one connection got back: every response's status, and whether it closed."""

    def __init__(self, data: bytes, closed: bool) -> None:
        self.data = data
        self.closed = closed
        self.statuses = [int(code) for code in STATUS.findall(data)]

    def __repr__(self) -> str:
        return f"<Exchange closed={self.closed} {self.data[:400]!r}>"


def exchange(port: int, payload: bytes, *, half_close: bool = False) -> Exchange:
    """Send ``payload`` and read until the server closes (or READ_TIMEOUT passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as sock:
        sock.sendall(payload)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            return Exchange(data, closed=False)
        except ConnectionResetError:
            pass
    return Exchange(data, closed=True)


def refused_once(result: Exchange, status: int = 400) -> None:
    assert result.closed, result
    assert result.statuses == [status], result


def quiet(errors: LogRecords) -> None:
    """At most one error-log line for the refused request, and never a traceback."""
    assert len(errors.records) <= 1, errors.text()
    assert not [r for r in errors.records if r.exc_info], errors.text()
    assert "Traceback" not in errors.text()


def chunked_post(body: bytes, path: str = "/raw") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + body


# --- item 4: malformed chunked bodies --------------------------------------------------

MALFORMED_CHUNKED = {
    "not hex": b"zz\r\nhello\r\n0\r\n\r\n",
    "negative": b"-5\r\nhello\r\n0\r\n\r\n",
    "more hex digits than any size": b"f" * 40 + b"\r\nhello\r\n0\r\n\r\n",
    "two numbers": b"1 2\r\nh\r\n0\r\n\r\n",
    "empty size": b"\r\nhello\r\n0\r\n\r\n",
    "NUL in the size line": b"5\x00\r\nhello\r\n0\r\n\r\n",
    "bare LF": b"5\nhello\n0\n\n",
    "no CRLF after the data": b"5\r\nhelloXY0\r\n\r\n",
    "data longer than declared": b"3\r\nhello\r\n0\r\n\r\n",
    "no last chunk": b"5\r\nhello\r\n",
    "truncated data": b"10\r\nhello",
}


@pytest.mark.parametrize("body", MALFORMED_CHUNKED.values(), ids=MALFORMED_CHUNKED.keys())
def test_a_malformed_chunked_body_is_400_and_closes(site: int, body: bytes) -> None:
    with capture_error_log() as errors:
        # The client then stops sending: an incomplete body ends at the end of the stream.
        result = exchange(site, chunked_post(body), half_close=True)
    refused_once(result)
    quiet(errors)


def test_a_bad_trailer_line_closes_the_connection(site: int) -> None:
    # The trailers are read after the application has its body: the answer stands,
    # but what follows them cannot be trusted to be a request.
    smuggled = b"GET /params?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    result = exchange(site, chunked_post(b"5\r\nhello\r\n0\r\nX-T\x01: v\r\n\r\n" + smuggled))
    assert result.closed, result
    assert len(result.statuses) == 1, result
    assert b"smuggled" not in result.data


def test_a_chunk_larger_than_the_body_limit_is_413_and_closes(site: int) -> None:
    with capture_error_log() as errors:
        result = exchange(site, chunked_post(b"ffffffff\r\nhello\r\n0\r\n\r\n"))
    refused_once(result, 413)
    quiet(errors)


def test_a_wellformed_chunked_body_keeps_the_connection(site: int) -> None:
    body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
    follow = b"GET /params?next=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    result = exchange(site, chunked_post(body) + follow)
    assert result.statuses == [200, 200], result
    assert b"read 11" in result.data and b"params next=1" in result.data


def test_an_unread_chunked_body_closes_the_connection_after_the_answer(site: int) -> None:
    # Its end was never looked for, so what follows cannot be taken for a request.
    smuggled = b"GET /params?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    result = exchange(site, chunked_post(b"5\r\nhello\r\n0\r\n\r\n" + smuggled, "/ignore"))
    assert result.closed, result
    assert b"smuggled" not in result.data
    assert len(result.statuses) == 1, result


# --- item 5: smuggling ------------------------------------------------------------------


def test_content_length_with_transfer_encoding_is_400_and_no_second_request(site: int) -> None:
    payload = (
        b"POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 46\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /params?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    with capture_error_log() as errors:
        result = exchange(site, payload)
    refused_once(result)
    assert b"smuggled" not in result.data
    quiet(errors)


@pytest.mark.parametrize(
    "lengths",
    [("3", "40"), ("40", "3"), ("3", "3, 40"), ("3", "+3"), ("-1",), ("0x10",), ("3 4",)],
)
def test_conflicting_or_malformed_content_length_is_400(site: int, lengths: tuple[str]) -> None:
    head = "".join(f"Content-Length: {value}\r\n" for value in lengths)
    payload = (
        "POST /raw HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        f"{head}\r\nabcGET /params?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    ).encode()
    with capture_error_log() as errors:
        result = exchange(site, payload)
    refused_once(result)
    quiet(errors)


def test_a_repeated_identical_content_length_is_served(site: int) -> None:
    payload = (
        b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: 3\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    )
    result = exchange(site, payload)
    assert result.statuses == [200], result
    assert result.data.endswith(b"read 3")


def test_transfer_encoding_on_http_1_0_is_400(site: int) -> None:
    payload = (
        b"POST /raw HTTP/1.0\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    )
    refused_once(exchange(site, payload))


BAD_HEADER_LINES = {
    "NUL in a name": b"X-A\x00b: v",
    "CR in a name": b"X-A\rb: v",
    "space in a name": b"X A: v",
    "space before the colon": b"X-A : v",
    "empty name": b": v",
    "NUL in a value": b"X-A: a\x00b",
    "CR in a value": b"X-A: a\rb",
    "control byte in a value": b"X-A: a\x01b",
    "DEL in a value": b"X-A: a\x7fb",
    "ESC in a value": b"X-A: \x1b[31m",
    "no colon": b"X-A v",
}


@pytest.mark.parametrize("line", BAD_HEADER_LINES.values(), ids=BAD_HEADER_LINES.keys())
def test_control_bytes_and_bad_names_in_headers_are_400(site: int, line: bytes) -> None:
    payload = b"GET / HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n\r\nGET /params?next=1 HTTP/1.1\r\n"
    with capture_error_log() as errors:
        result = exchange(site, payload)
    refused_once(result)
    quiet(errors)


def test_tabs_and_obs_text_in_values_are_served(site: int) -> None:
    payload = (
        b"GET /header?name=X-A HTTP/1.1\r\nHost: x\r\nX-A: a\tb \xe9\r\nConnection: close\r\n\r\n"
    )
    result = exchange(site, payload)
    assert result.statuses == [200], result
    assert result.data.endswith(b"'a\\tb \\xe9'") or result.data.endswith(b"'a\\tb \xc3\xa9'")


# --- item 6: folded header lines --------------------------------------------------------


def test_a_header_block_starting_with_a_folded_line_is_400(site: int) -> None:
    with capture_error_log() as errors:
        result = exchange(site, b"GET / HTTP/1.1\r\n folded\r\nHost: x\r\n\r\n")
    refused_once(result)
    quiet(errors)


def test_a_folded_line_after_a_header_continues_it_as_in_cherrypy(site: int) -> None:
    payload = (
        b"GET /header?name=X-A HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\nConnection: close\r\n\r\n"
    )
    result = exchange(site, payload)
    assert result.statuses == [200], result
    assert result.data.endswith(b"'one two'")


# --- item 3: very long paths --------------------------------------------------------------


def test_a_path_of_40000_segments_is_414_inside_the_head_limit(site: int) -> None:
    # 80 kB of request line: inside max_request_header_size, so the cap answers.
    with capture_error_log() as errors:
        result = exchange(
            site, b"GET " + b"/a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
    assert result.statuses == [414], result
    assert b"40000 segments; at most 1000" in result.data
    quiet(errors)
