"""Redis sessions when Redis misbehaves: frozen, restarted, or gone with a lock held.

Each test runs its own redis-server, since it freezes (SIGSTOP) or restarts it, and a
real HTTP server with the default ten worker threads.
"""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import cherrypit
from cherrypit.testing import capture_error_log
from cherrypit_redis import RedisSession

from .conftest import RedisServer

pytestmark = pytest.mark.e2e

PREFIX = "cherrypit:session:"


class Site:
    @cherrypit.expose
    def index(self) -> str:
        return "home"

    class Counter:
        @cherrypit.expose
        def inc(self) -> str:
            value = cherrypit.session.get("n", 0) + 1
            cherrypit.session["n"] = value
            return str(value)

    s = Counter()


class Gate:
    """Lets a test act while a request is inside its handler, holding the session lock."""

    inside = threading.Event()
    resume = threading.Event()


class Held:
    @cherrypit.expose
    def hold(self) -> str:
        cherrypit.session["held"] = True
        Gate.inside.set()
        Gate.resume.wait(10)
        return "held"


Site.s.held = Held()  # type: ignore[attr-defined]


@pytest.fixture
def own_redis(tmp_path: Any) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        RedisSession.close_connections()
        server.stop()


@pytest.fixture
def site(live_server: str, own_redis: RedisServer) -> tuple[str, int]:
    conf = {
        "/s": {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "redis",
            "tools.sessions.url": own_redis.url,
            # Short, so the test is quick; the property is the same with the defaults.
            "tools.sessions.socket_timeout": 0.5,
            # Longer than the test: only a release can free a lock left behind.
            "tools.sessions.lock_ttl": 60,
            "tools.sessions.lock_timeout": 3,
        }
    }
    cherrypit.tree.mount(Site(), "", conf)
    url = urllib.parse.urlsplit(live_server)
    assert url.hostname is not None and url.port is not None
    return url.hostname, url.port


def get(site: tuple[str, int], path: str, cookie: str | None = None, timeout: float = 10):
    conn = http.client.HTTPConnection(*site, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Set-Cookie")
    finally:
        conn.close()


def test_a_frozen_redis_gives_503s_and_pages_without_sessions_keep_answering(site, own_redis):
    status, body, cookie = get(site, "/s/inc")
    assert (status, body) == (200, b"1")
    assert cookie is not None
    session_cookie = cookie.split(";")[0]

    stop = threading.Event()
    statuses: list[int] = []

    def session_client() -> None:
        while not stop.is_set():
            try:
                statuses.append(get(site, "/s/inc", session_cookie)[0])
            except OSError:
                statuses.append(0)  # no answer within the client's timeout

    assert own_redis.process is not None
    with capture_error_log() as errors:
        own_redis.process.send_signal(signal.SIGSTOP)
        try:
            # More session clients than worker threads, all stuck on Redis if allowed.
            clients = [threading.Thread(target=session_client) for _ in range(12)]
            for t in clients:
                t.start()
            time.sleep(0.3)
            # Within one socket timeout of the freeze: the pool must not be used up.
            home = [get(site, "/", timeout=3)[:2] for _ in range(10)]
            stop.set()
            for t in clients:
                t.join(timeout=20)
        finally:
            stop.set()
            own_redis.process.send_signal(signal.SIGCONT)
    assert home == [(200, b"home")] * 10
    assert statuses and set(statuses) == {503}  # every session page answered, none hung
    failures = [r for r in errors.records if "session storage" in r.getMessage()]
    assert len(failures) == len(statuses)  # one line per failed request
    assert not [r for r in errors.records if r.exc_info]
    assert get(site, "/s/inc", session_cookie)[:2] == (200, b"2")  # back once Redis is


def test_a_lock_held_when_redis_froze_is_released_once_it_resumes(site, own_redis):
    status, _body, cookie = get(site, "/s/inc")
    assert status == 200 and cookie is not None
    session_cookie = cookie.split(";")[0]
    Gate.inside.clear()
    Gate.resume.clear()
    held: list[int] = []
    holder = threading.Thread(
        target=lambda: held.append(get(site, "/s/held/hold", session_cookie)[0])
    )
    holder.start()
    assert own_redis.process is not None
    try:
        assert Gate.inside.wait(10)
        own_redis.process.send_signal(signal.SIGSTOP)
        Gate.resume.set()
        holder.join(timeout=20)
    finally:
        Gate.resume.set()
        own_redis.process.send_signal(signal.SIGCONT)
    assert held == [503]  # saving timed out, with the lock taken
    # The lock (TTL 60 s) is released once Redis answers, not left to expire: the
    # session's next request gets it within its 3 s lock_timeout.
    assert get(site, "/s/inc", session_cookie)[:2] == (200, b"2")


def test_a_redis_restart_costs_no_request(site, own_redis):
    status, _body, cookie = get(site, "/s/inc")
    assert status == 200 and cookie is not None
    session_cookie = cookie.split(";")[0]
    own_redis.stop()
    own_redis.start()  # same port, empty: the pooled connections are dead
    # A stale pooled connection is retried once on a fresh one.  The data went
    # with the restart, so the session starts again under a new id.
    with capture_error_log() as errors:
        status, body, cookie = get(site, "/s/inc", session_cookie)
    assert (status, body) == (200, b"1")
    assert cookie is not None
    assert get(site, "/s/inc", cookie.split(";")[0])[:2] == (200, b"2")
    assert "session storage" not in errors.text()


HOLDER = """
import sys
from cherrypit_redis import RedisSession
options = {k: float(v) for k, v in (a.split("=") for a in sys.argv[3:])}
s = RedisSession(None, url=sys.argv[1], **options)
s._id = sys.argv[2]
s.acquire_lock()
print("locked", flush=True)
sys.stdin.read()
"""


def hold_lock_then_die(url: str, sid: str, *options: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, sid, *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
    finally:
        holder.kill()
        holder.wait(timeout=10)
        for stream in (holder.stdin, holder.stdout):
            if stream is not None:
                stream.close()


def test_a_lock_left_behind_expires_within_the_short_default_ttl(own_redis):
    db = redis.Redis.from_url(own_redis.url)
    try:
        waiter = RedisSession(None, url=own_redis.url)
        hold_lock_then_die(own_redis.url, str(waiter.id))
        ttl_ms = db.pttl(f"{PREFIX}lock:{waiter.id}")
        # Not lock_timeout's 30 s: the next request of that session waits seconds at most.
        assert 0 < ttl_ms <= 5000
    finally:
        db.close()


def test_a_held_lock_is_renewed_past_its_ttl(own_redis):
    db = redis.Redis.from_url(own_redis.url)
    try:
        holder = RedisSession(None, url=own_redis.url, lock_ttl=0.2)
        holder.acquire_lock()
        key = f"{PREFIX}lock:{holder.id}"
        time.sleep(1.0)  # five TTLs
        assert db.exists(key) == 1
        other = RedisSession(None, url=own_redis.url, lock_timeout=0.1)
        other._id = holder.id
        with pytest.raises(cherrypit.HTTPError):
            other.acquire_lock()  # still exclusive
        holder.release_lock()
        assert db.exists(key) == 0
        # A dead holder stops renewing: its lock is gone one TTL later.
        hold_lock_then_die(own_redis.url, str(holder.id), "lock_ttl=0.2")
        other.lock_timeout = 5
        other.acquire_lock()
        other.release_lock()
    finally:
        db.close()
