"""Slow clients over a real socket: they cannot hold the worker pool, and miss deadlines.

Each test starts a cherrypit site on the real server with a small pool and a
``socket_timeout`` far longer than the test, so only the head and body deadlines (or
waiting without a worker thread) can explain an answer.  Client reads are bounded by
READ_TIMEOUT so that a regression fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import cherrypit
from cherrypit.testing import free_port, site_context

pytestmark = pytest.mark.e2e

SOCKET_TIMEOUT = 120
READ_TIMEOUT = 10.0
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "home"

    @cherrypit.expose
    def upload(self) -> str:
        return f"read {len(cherrypit.request.body.read())}"


@contextlib.contextmanager
def site(**server_settings: Any) -> Iterator[int]:
    with site_context(autoload=True):
        port = free_port()
        cherrypit.config.update(
            {
                "server.socket_host": "127.0.0.1",
                "server.socket_port": port,
                "server.socket_timeout": SOCKET_TIMEOUT,
                "server.thread_pool": 2,
                # Room for the slow clients' burst of connections in the listen queue.
                "server.socket_queue_size": 64,
                "log.screen": False,
                "engine.autoreload.on": False,
                **{f"server.{k}": v for k, v in server_settings.items()},
            }
        )
        cherrypit.tree.mount(Root(), "")
        cherrypit.engine.start()
        try:
            yield port
        finally:
            cherrypit.engine.stop()


def get_home(port: int) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=READ_TIMEOUT)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def drip_until_answered(port: int, first: bytes, drip: bytes) -> tuple[list[int], bool]:
    """Send ``first``, then ``drip`` a byte every 50 ms until the server answers.

    :returns: the statuses answered and whether the server closed the connection
        (a server still waiting after READ_TIMEOUT gives ``([], False)``).
    """
    stop = threading.Event()
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as sock:
        sock.sendall(first)

        def keep_dripping() -> None:
            position = 0
            while not stop.wait(0.05):
                try:
                    sock.send(drip[position % len(drip) : position % len(drip) + 1])
                except OSError:
                    return
                position += 1

        dripper = threading.Thread(target=keep_dripping)
        dripper.start()
        data = b""
        closed = False
        try:
            while chunk := sock.recv(65536):
                data += chunk
            closed = True
        except TimeoutError:
            pass
        except ConnectionResetError:
            closed = True
        finally:
            stop.set()
            dripper.join()
    return [int(code) for code in STATUS.findall(data)], closed


UPLOAD_HEAD = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"


@pytest.mark.parametrize(
    "first",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n",
        UPLOAD_HEAD + b"Content-Length: 1000\r\n\r\n",
        UPLOAD_HEAD + b"Content-Length: 10000000\r\n\r\n" + b"x" * 100,
        UPLOAD_HEAD + b"Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n",
    ],
    ids=["head", "small body", "large body", "chunked body"],
)
def test_slow_clients_hold_no_worker_thread(first: bytes) -> None:
    # Twenty clients that never finish their request, against two worker threads: a
    # worker waiting on any of them would leave the normal client unanswered.
    with site(request_head_timeout=SOCKET_TIMEOUT, request_body_timeout=SOCKET_TIMEOUT) as port:
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        try:
            for sock in slow:
                sock.sendall(first)
            answers = [get_home(port) for _ in range(5)]
        finally:
            for sock in slow:
                sock.close()
    assert answers == [(200, b"home")] * 5


def test_a_head_dripped_past_request_head_timeout_is_408() -> None:
    # Every recv() brings a byte, so a per-read timeout alone would wait forever.
    with site(request_head_timeout=0.5) as port:
        statuses, closed = drip_until_answered(port, b"GET / HTTP/1.1\r\n", b"X-Slow: a\r\n")
    assert (statuses, closed) == ([408], True)


@pytest.mark.parametrize(
    "first",
    [
        UPLOAD_HEAD + b"Content-Length: 1000\r\n\r\n",
        UPLOAD_HEAD + b"Transfer-Encoding: chunked\r\n\r\n",
    ],
    ids=["small body", "chunked body"],
)
def test_a_body_dripped_before_any_worker_has_it_is_408(first: bytes) -> None:
    with site(request_body_timeout=0.5, request_body_min_rate=0) as port:
        statuses, closed = drip_until_answered(port, first, b"1\r\nx\r\n")
    assert (statuses, closed) == ([408], True)


def test_a_body_dripped_while_the_application_reads_it_is_408() -> None:
    # The first body-buffer's worth arrives at once: a worker is serving the request
    # and the application is reading when the body slows down.
    first = UPLOAD_HEAD + b"Content-Length: 1000000\r\n\r\n" + b"x" * 1000
    with site(request_body_buffer=1000, request_body_timeout=0.5, request_body_min_rate=0) as port:
        statuses, closed = drip_until_answered(port, first, b"x")
    assert (statuses, closed) == ([408], True)


def test_a_body_arriving_at_a_steady_rate_is_served() -> None:
    # Well above the minimum rate: each received byte extends the deadline.
    with site(request_body_timeout=0.5, request_body_min_rate=1000) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT) as sock:
            sock.sendall(UPLOAD_HEAD + b"Content-Length: 400000\r\nConnection: close\r\n\r\n")
            for _ in range(40):
                sock.sendall(b"x" * 10000)
                threading.Event().wait(0.02)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"read 400000")
