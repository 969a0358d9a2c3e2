"""A real redis-server for the Redis session storage tests (started once per test run).

The server runs on a free 127.0.0.1 port with persistence off and its files in a
temporary directory, and is stopped at the end.  Without a ``redis-server`` binary the
tests are skipped, unless ``CHERRYPIT_REQUIRE_REDIS=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

import cherrypit
from cherrypit.testing import Client, free_port, site_context
from cherrypit_redis import RedisSession

_START_TIMEOUT = 10.0


def _redis_binary() -> str:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if binary is None:
        message = "redis-server is not installed"
        if os.environ.get("CHERRYPIT_REQUIRE_REDIS") == "1":
            pytest.fail(f"{message}, and CHERRYPIT_REQUIRE_REDIS=1 requires it")
        pytest.skip(message)
    return binary


class RedisServer:
    """A redis-server process on a fixed 127.0.0.1 port, which tests may stop and restart."""

    def __init__(self, workdir: Any, port: int | None = None) -> None:
        self.binary = _redis_binary()
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log_path = self.workdir / "redis.log"
        with open(log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.workdir),
                    "--daemonize",
                    "no",
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        probe = redis.Redis(host="127.0.0.1", port=self.port)
        try:
            deadline = time.monotonic() + _START_TIMEOUT
            while True:
                try:
                    probe.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"redis-server did not start:\n{log_path.read_text()}")
                    time.sleep(0.02)
        finally:
            probe.close()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redis://127.0.0.1:<port>/0`` of a redis-server started for this test run."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        RedisSession.close_connections()
        server.stop()


@pytest.fixture
def redis_db(redis_url: str) -> Iterator[redis.Redis]:
    """A client of the test server, on an emptied database."""
    client = redis.Redis.from_url(redis_url)
    client.flushall()
    try:
        yield client
    finally:
        client.close()


Mount = Callable[..., Client]


@pytest.fixture
def mount(redis_db: redis.Redis) -> Iterator[Mount]:
    """``mount(root, config=None)`` on a fresh site; returns a Client."""
    with site_context(autoload=True):

        def do_mount(root: Any, config: dict[str, Any] | None = None) -> Client:
            cherrypit.tree.mount(root, "", config)
            return Client()

        yield do_mount


class Counter:
    @cherrypit.expose
    def inc(self) -> str:
        value = cherrypit.session.get("n", 0)
        time.sleep(0.002)  # widen the race window; correctness must not depend on it
        cherrypit.session["n"] = value + 1
        return str(value + 1)

    @cherrypit.expose
    def info(self) -> str:
        s = cherrypit.session
        return f"id={s.id} missing={s.missing}"


@pytest.fixture
def counter() -> Counter:
    return Counter()


@pytest.fixture
def redis_conf(redis_url: str) -> Callable[..., dict[str, Any]]:
    """``redis_conf(**options)``: app config with Redis sessions on ``/``."""

    def make(**options: Any) -> dict[str, Any]:
        conf: dict[str, Any] = {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "redis",
            "tools.sessions.url": redis_url,
        }
        conf.update({f"tools.sessions.{k}": v for k, v in options.items()})
        return {"/": conf}

    return make
