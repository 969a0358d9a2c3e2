"""RedisSession against a real redis-server: storage, TTLs, ids, and atomic locking."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import threading
import time

import pytest

import cherrypit
from cherrypit.testing import Client, free_port
from cherrypit_redis import RedisSession
from cherrypit_sessions.api import SessionLockTimeout
from cherrypit_sessions.settings import check

PREFIX = "cherrypit:session:"


def new_session(redis_url, sid=None, **kw):
    RedisSession.setup(url=redis_url, **kw)
    return RedisSession(sid, url=redis_url, **kw)


def test_counter_through_the_tool(mount, counter, redis_conf, redis_db) -> None:
    client = mount(counter, redis_conf())
    assert [client.get("/inc").text for _ in range(3)] == ["1", "2", "3"]
    sid = client.cookies["session_id"]
    document = json.loads(redis_db.get(PREFIX + sid))
    assert document["data"] == {"n": 3}
    assert 3_500_000 < redis_db.pttl(PREFIX + sid) <= 3_600_000
    assert redis_db.keys(PREFIX + "lock:*") == []  # locks are released


def test_the_redis_ttl_is_the_session_timeout(mount, counter, redis_conf, redis_db) -> None:
    client = mount(counter, redis_conf(timeout=0.5))
    client.get("/inc")
    assert 25_000 < redis_db.pttl(PREFIX + client.cookies["session_id"]) <= 30_000


def test_unknown_and_malformed_ids_are_replaced(mount, counter, redis_conf, redis_db) -> None:
    client = mount(counter, redis_conf())
    for sent in ("../../etc/passwd", "ab" * 20, "*", "A" * 40):
        client.cookies.clear()
        client.cookies["session_id"] = f'"{sent}"'
        text = client.get("/info").text
        assert text.endswith("missing=True") and sent not in text
    client.cookies.clear()
    client.get("/inc")
    assert redis_db.keys("*") == [(PREFIX + client.cookies["session_id"]).encode()]


def test_prefix_and_connection_settings(mount, counter, redis_url, redis_db) -> None:
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "redis",
            "tools.sessions.host": "127.0.0.1",
            "tools.sessions.port": port,
            "tools.sessions.db": 3,
            "tools.sessions.prefix": "app1:",
        }
    }
    client = mount(counter, conf)
    client.get("/inc")
    assert redis_db.keys("*") == []  # database 0 stays empty
    other = type(redis_db)(host="127.0.0.1", port=port, db=3)
    try:
        assert other.keys("*") == [f"app1:{client.cookies['session_id']}".encode()]
    finally:
        other.close()


def test_values_json_cannot_hold_are_refused_with_the_key(redis_url, redis_db) -> None:
    session = new_session(redis_url)
    session["when"] = datetime.datetime(2024, 1, 1)
    with pytest.raises(TypeError, match=r"session\['when'\]"):
        session.save()
    assert redis_db.keys("*") == []


def test_regenerate_and_delete(redis_url, redis_db) -> None:
    session = new_session(redis_url)
    session["x"] = 1
    session.save()
    old = session.id
    session["x"] = 2
    session.regenerate()
    session.save()
    assert redis_db.exists(PREFIX + old) == 0
    assert json.loads(redis_db.get(PREFIX + session.id))["data"] == {"x": 2}
    assert len(session) == 1
    session.delete()
    assert redis_db.keys("*") == []


def test_the_lock_is_exclusive_and_times_out(redis_url, redis_db) -> None:
    # lock_ttl: the held lock outlives the other's wait (by default it equals lock_timeout).
    first = new_session(redis_url, lock_timeout=0.05, lock_ttl=10)
    second = RedisSession(None, url=redis_url, lock_timeout=0.05)
    second._id = first.id
    first.acquire_lock()
    with pytest.raises(SessionLockTimeout) as caught:
        second.acquire_lock()
    assert caught.value.code == 503
    first.release_lock()
    second.acquire_lock()
    assert second.locked
    second.release_lock()
    assert redis_db.keys("*") == []


def test_a_late_release_does_not_remove_someone_elses_lock(redis_url, redis_db) -> None:
    slow = new_session(redis_url, lock_ttl=0.05, lock_timeout=5, lock_renewal=False)
    slow.acquire_lock()
    lock_key = f"{PREFIX}lock:{slow.id}"
    deadline = time.monotonic() + 5
    while redis_db.exists(lock_key) and time.monotonic() < deadline:
        time.sleep(0.01)  # the holder overran its TTL
    fast = RedisSession(None, url=redis_url, lock_timeout=5)
    fast._id = slow.id
    fast.acquire_lock()
    token = redis_db.get(lock_key)
    slow.release_lock()
    assert redis_db.get(lock_key) == token
    fast.release_lock()
    assert redis_db.exists(lock_key) == 0


HOLDER = """
import sys
from cherrypit_redis import RedisSession
s = RedisSession(None, url=sys.argv[1], lock_ttl=0.3)
s._id = sys.argv[2]
s.acquire_lock()
print("locked", flush=True)
sys.stdin.read()
"""


def test_the_lock_expires_when_its_holder_dies(redis_url, redis_db) -> None:
    waiter = new_session(redis_url, lock_timeout=5)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, redis_url, waiter.id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        holder.kill()
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        for stream in (holder.stdin, holder.stdout):
            if stream is not None:
                stream.close()
    assert redis_db.exists(f"{PREFIX}lock:{waiter.id}") == 1  # still locked by the dead
    waiter.acquire_lock()  # ... until its TTL runs out
    assert waiter.locked
    waiter.release_lock()


def test_concurrent_requests_of_one_session_lose_no_update(mount, counter, redis_conf) -> None:
    client = mount(counter, redis_conf())
    client.get("/inc")
    sid = client.cookies["session_id"]
    threads_n = 10
    barrier = threading.Barrier(threads_n)

    def one() -> None:
        other = Client()
        other.cookies["session_id"] = sid
        barrier.wait()
        other.get("/inc")

    threads = [threading.Thread(target=one) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert client.get("/inc").text == str(threads_n + 2)


def test_an_unreachable_server_answers_503(mount, counter) -> None:
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "redis",
            "tools.sessions.url": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    response = mount(counter, conf).get("/inc")
    assert response.status == 503
    assert "session storage is unavailable" in response.text


def test_an_unreachable_server_is_logged_in_production(mount, counter) -> None:
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "redis",
            "tools.sessions.url": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    client = mount(counter, conf)
    cherrypit.config.update({"environment": "production"})
    response = client.get("/inc")
    assert response.status == 503
    # The line a WSGI server's error log receives (no log file, console off).
    assert "TOOLS.SESSIONS Redis session storage failed" in client.errors.getvalue()


def test_unknown_redis_settings_are_a_warning() -> None:
    (warning,) = check({"storage_type": "redis", "passwd": "x"})
    assert warning.startswith("tools.sessions.passwd: not a setting of RedisSession")
