"""Two cherrypit server processes share sessions through one Redis server."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cherrypit.testing import free_port

APP = Path(__file__).with_name("redis_app.py")
pytestmark = pytest.mark.e2e


def request(port: int, path: str, cookie: str | None = None) -> tuple[int, str, str | None]:
    """GET ``path``; returns (status, body, Set-Cookie)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read().decode(), response.getheader("Set-Cookie")
    finally:
        conn.close()


class Server:
    def __init__(self, redis_url: str, log: Path) -> None:
        self.port = free_port()
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(APP), str(self.port), redis_url],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if request(self.port, "/ping")[1] == "pong":
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app on port {self.port} did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self) -> None:
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def two_servers(redis_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    servers: list[Server] = []
    try:
        servers.append(Server(redis_url, tmp_path / "a.log"))
        servers.append(Server(redis_url, tmp_path / "b.log"))
        for server in servers:
            server.wait_ready()
        yield servers[0], servers[1]
    finally:
        # Both at once: each takes a moment to shut its engine down.
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait_stopped()


def test_a_session_moves_between_two_server_processes(redis_url, redis_db, tmp_path) -> None:
    with two_servers(redis_url, tmp_path) as (a, b):
        status, body, set_cookie = request(a.port, "/inc")
        assert status == 200 and set_cookie is not None
        pid_a, count = body.split()
        assert count == "1"
        cookie = set_cookie.split(";")[0]

        status, body, _ = request(b.port, "/inc", cookie)
        pid_b, count = body.split()
        assert (status, count) == (200, "2") and pid_b != pid_a  # read and updated by B

        assert request(a.port, "/get", cookie)[1] == f"{pid_a} 2"  # A sees B's update

        # Concurrent increments through both processes lose nothing (implicit locking).
        per_server = 8
        barrier = threading.Barrier(2 * per_server)
        statuses: list[int] = []

        def one(port: int) -> None:
            barrier.wait()
            statuses.append(request(port, "/inc", cookie)[0])

        threads = [
            threading.Thread(target=one, args=(port,))
            for port in [a.port] * per_server + [b.port] * per_server
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * (2 * per_server)
        assert request(b.port, "/get", cookie)[1] == f"{pid_b} {2 + 2 * per_server}"
