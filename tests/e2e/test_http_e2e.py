"""The request cycle over real sockets: what a browser or an HTTP client sees."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

import cherrypit

pytestmark = pytest.mark.e2e


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "root"

    @cherrypit.expose
    def echo(self, **params: Any) -> str:
        return json.dumps(sorted((k, str(v)) for k, v in params.items()))

    @cherrypit.expose
    def upload(self, name: str, data: Any) -> str:
        content = data.file.read()
        return f"{name}:{data.filename}:{len(content)}:{content[:5].decode()}"

    @cherrypit.expose
    @cherrypit.config(**{"response.stream": True})
    def stream(self) -> Iterator[str]:
        for i in range(3):
            yield f"chunk{i};"

    #: Three requests must be inside the handler at the same time to pass it.
    meeting = threading.Barrier(3, timeout=10)

    @cherrypit.expose
    def together(self, n: str) -> str:
        self.meeting.wait()  # BrokenBarrierError (a 500) if requests were serialised
        return f"met {n}"

    @cherrypit.expose
    def go(self) -> str:
        raise cherrypit.HTTPRedirect("/echo?from=go")

    @cherrypit.expose
    def boom(self) -> str:
        raise RuntimeError("secret detail")

    @cherrypit.expose
    def number(self) -> Any:
        return 42

    def forgotten(self) -> str:
        return "not exposed"

    class Sub:
        @cherrypit.expose
        def index(self) -> str:
            return "sub index"

    sub = Sub()


@pytest.fixture
def server(live_server: str) -> tuple[str, int]:
    cherrypit.tree.mount(Root(), "", {"/": {"request.body.maxbytes": 64 * 1024}})
    parsed = urllib.parse.urlsplit(live_server)
    assert parsed.hostname is not None and parsed.port is not None
    return parsed.hostname, parsed.port


def request(
    server: tuple[str, int],
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def test_get_and_keep_alive(server: tuple[str, int]) -> None:
    conn = http.client.HTTPConnection(*server, timeout=10)
    try:
        for _ in range(3):  # one connection, several requests
            conn.request("GET", "/")
            r = conn.getresponse()
            assert (r.status, r.read()) == (200, b"root")
            assert r.getheader("Content-Type") == "text/html;charset=utf-8"
    finally:
        conn.close()


def test_head_has_headers_but_no_body(server: tuple[str, int]) -> None:
    r, body = request(server, "HEAD", "/")
    assert r.status == 200 and body == b"" and r.getheader("Content-Length") == "4"


def test_query_and_form_parameters(server: tuple[str, int]) -> None:
    r, body = request(
        server,
        "POST",
        "/echo?a=1&a=2",
        body=b"b=x+y&c=%E2%82%AC",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 200
    assert json.loads(body) == [["a", "['1', '2']"], ["b", "x y"], ["c", "€"]]


def test_multipart_upload(server: tuple[str, int]) -> None:
    boundary = "xyzzy"
    payload = b"\x00\x01binary" * 1000
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nfile1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="b.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    r, answer = request(
        server,
        "POST",
        "/upload",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status == 200
    assert answer == f"file1:b.bin:{len(payload)}:\x00\x01bin".encode()


def test_body_over_the_path_limit_is_413(server: tuple[str, int]) -> None:
    r, _ = request(
        server,
        "POST",
        "/echo",
        body=b"a=" + b"x" * (70 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 413


def test_streamed_response_is_chunked(server: tuple[str, int]) -> None:
    r, body = request(server, "GET", "/stream")
    assert r.status == 200
    assert r.getheader("Transfer-Encoding") == "chunked"
    assert r.getheader("Content-Length") is None
    assert body == b"chunk0;chunk1;chunk2;"


def test_trailing_slash_and_redirects(server: tuple[str, int]) -> None:
    host, port = server
    r, _ = request(server, "GET", "/sub?x=1")
    assert (r.status, r.getheader("Location")) == (301, f"http://{host}:{port}/sub/?x=1")
    r, _ = request(server, "GET", "/go")
    assert (r.status, r.getheader("Location")) == (303, f"http://{host}:{port}/echo?from=go")


def test_errors_hide_tracebacks_by_default(server: tuple[str, int]) -> None:
    r, body = request(server, "GET", "/boom")
    assert r.status == 500
    assert b"secret detail" not in body and b"Traceback" not in body
    r, body = request(server, "GET", "/nowhere", headers={"Accept": "application/json"})
    assert r.status == 404 and json.loads(body)["code"] == 404


def test_development_error_pages(server: tuple[str, int]) -> None:
    cherrypit.config.update({"environment": "development"})
    r, body = request(server, "GET", "/boom")
    page = body.decode()
    assert r.status == 500
    visible, _, folded = page.partition("<details>")
    assert '<strong class="error">RuntimeError: secret detail</strong>' in visible
    assert "GET /boom HTTP/1.1" in visible
    assert "in boom\n" in visible and "_kernel/request.py" not in visible
    assert "_kernel/request.py" in folded
    r, body = request(server, "GET", "/number")
    assert r.status == 500
    assert b"The page handler Root.number (" in body and b"may return str, bytes" in body
    r, body = request(server, "GET", "/forgotten")
    assert r.status == 404
    assert b"Root.forgotten, which is not exposed" in body
    r, body = request(server, "GET", "/nowhere", headers={"Accept": "application/json"})
    assert r.status == 404 and set(json.loads(body)) == {"status", "code", "message"}
    # Production says none of it.
    cherrypit.config.update({"environment": "production"})
    for path, status in (("/number", 500), ("/forgotten", 404), ("/boom", 500)):
        r, body = request(server, "GET", path)
        assert r.status == status
        assert b'<pre id="traceback"></pre>' in body
        assert b"Root." not in body and b"expose" not in body


def test_concurrent_requests_are_served_by_the_thread_pool(server: tuple[str, int]) -> None:
    results: list[tuple[int, bytes]] = []
    errors: list[BaseException] = []

    def fetch(n: int) -> None:
        try:
            r, body = request(server, "GET", f"/together?n={n}")
            results.append((r.status, body))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors
    assert sorted(results) == [(200, f"met {n}".encode()) for n in range(3)]


def test_bad_request_line_is_a_4xx_not_a_crash(server: tuple[str, int]) -> None:
    import socket

    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        reply = sock.recv(1024)
    assert reply.startswith(b"HTTP/1.1 400")
    _, body = request(server, "GET", "/")  # the server is still fine
    assert body == b"root"
