"""The three locking modes, concurrent requests of one session, lock timeouts."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import cherrypit
from cherrypit.testing import Client
from cherrypit_sessions.api import FileSession, RamSession, SessionLockTimeout

THREADS = 12


def storage_conf(kind: str, path: Path) -> dict[str, Any]:
    if kind == "file":
        return {
            "tools.sessions.storage_type": "file",
            "tools.sessions.storage_path": str(path),
        }
    return {}


class Racer:
    """A read-modify-write with a pause in the middle, to make lost updates likely."""

    @cherrypit.expose
    def start(self) -> str:
        cherrypit.session["n"] = 0
        return "ok"

    @cherrypit.expose
    def inc(self) -> str:
        value = cherrypit.session["n"]
        time.sleep(0.002)  # widen the race window; correctness must not depend on it
        cherrypit.session["n"] = value + 1
        return "ok"

    @cherrypit.expose
    def inc_explicit(self) -> str:
        cherrypit.session.acquire_lock()
        try:
            value = cherrypit.session["n"]
            time.sleep(0.002)
            cherrypit.session["n"] = value + 1
        finally:
            cherrypit.session.save()
        return f"locked_after_save={cherrypit.session.locked}"

    @cherrypit.expose
    def get(self) -> str:
        return str(cherrypit.session["n"])


def hammer(path: str, cookie: str) -> list[int]:
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []

    def one() -> None:
        client = Client()
        client.cookies["session_id"] = cookie
        barrier.wait()
        statuses.append(client.get(path).status)

    threads = [threading.Thread(target=one) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.parametrize("kind", ["ram", "file"])
def test_implicit_locking_loses_no_update(mount, storage, kind) -> None:
    conf = {"/": {"tools.sessions.on": True, **storage_conf(kind, storage)}}
    client = mount(Racer(), conf)
    client.get("/start")
    assert hammer("/inc", client.cookies["session_id"]) == [200] * THREADS
    assert client.get("/get").text == str(THREADS)


@pytest.mark.parametrize("kind", ["ram", "file"])
def test_explicit_locking_with_acquire_and_save(mount, storage, kind) -> None:
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.locking": "explicit",
            **storage_conf(kind, storage),
        }
    }
    client = mount(Racer(), conf)
    client.get("/start")
    assert client.get("/inc_explicit").text == "locked_after_save=False"
    assert hammer("/inc_explicit", client.cookies["session_id"]) == [200] * THREADS
    assert client.get("/get").text == str(THREADS + 1)


def probe(label: str, priority: int) -> Any:
    def record() -> None:
        session = cherrypit.serving.session
        seen = cherrypit.request.__dict__.setdefault("lock_states", [])
        seen.append(f"{label}={session.locked}")

    record.priority = priority  # type: ignore[attr-defined]
    return record


class Reporter:
    @cherrypit.expose
    def index(self) -> str:
        states: list[str] = cherrypit.request.__dict__["lock_states"]
        states.append(f"handler={cherrypit.session.locked}")
        return " ".join(states)

    @cherrypit.expose
    def manual(self) -> str:
        s = cherrypit.session
        out = [f"start={s.locked}"]
        s.acquire_lock()
        s.acquire_lock()  # a second call is harmless
        out.append(f"acquired={s.locked}")
        s.release_lock()
        out.append(f"released={s.locked}")
        return " ".join(out)


def lock_conf(locking: str) -> dict[str, Any]:
    return {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.locking": locking,
            "hooks.before_request_body.between": probe("between_init_and_early", 55),
            "hooks.before_request_body.after": probe("after_early", 70),
        }
    }


@pytest.mark.parametrize(
    ("locking", "expected"),
    [
        ("implicit", "between_init_and_early=False after_early=False handler=True"),
        ("early", "between_init_and_early=False after_early=True handler=True"),
        ("explicit", "between_init_and_early=False after_early=False handler=False"),
    ],
)
def test_when_each_mode_takes_the_lock(mount, locking, expected) -> None:
    assert mount(Reporter(), lock_conf(locking)).get("/").text == expected


def test_explicit_acquire_and_release(mount) -> None:
    client = mount(Reporter(), lock_conf("explicit"))
    assert client.get("/manual").text == "start=False acquired=True released=False"


@pytest.mark.parametrize("kind", ["ram", "file"])
def test_a_held_lock_times_out_with_503(mount, app, storage, kind) -> None:
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.lock_timeout": 0.05,
            **storage_conf(kind, storage),
        }
    }
    client = mount(app, conf)
    client.get("/count")
    sid = client.cookies["session_id"]
    holder_class = RamSession if kind == "ram" else FileSession
    holder = holder_class(sid, **({"storage_path": str(storage)} if kind == "file" else {}))
    holder.acquire_lock()
    try:
        blocked = client.get("/count")
        assert blocked.status == 503
        assert "tools.sessions.lock_timeout" in blocked.text
    finally:
        holder.release_lock()
    assert client.get("/count").text == "2"


class Failing:
    @cherrypit.expose
    def start(self) -> str:
        cherrypit.session["x"] = 0
        return "ok"

    @cherrypit.expose
    def boom(self) -> str:
        cherrypit.session["x"] = 1
        raise RuntimeError("handler failed")


@pytest.mark.parametrize("kind", ["ram", "file"])
def test_the_lock_is_released_when_the_handler_fails(mount, storage, kind) -> None:
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.lock_timeout": 0.05,
            **storage_conf(kind, storage),
        }
    }
    client = mount(Failing(), conf)
    client.get("/start")
    sid = client.cookies["session_id"]
    assert client.get("/boom").status == 500
    assert client.get("/boom").status == 500  # not 503: the lock was released
    assert client.cookies["session_id"] == sid


@pytest.mark.parametrize("kind", ["ram", "file"])
def test_regenerate_moves_the_lock_to_the_new_id(storage, kind) -> None:
    extra = {"storage_path": str(storage)} if kind == "file" else {}
    if kind == "file":
        FileSession.setup(**extra)
    cls = RamSession if kind == "ram" else FileSession
    session = cls(None, lock_timeout=0.05, **extra)
    session["v"] = 1
    session.acquire_lock()
    old = session.id
    session.regenerate()
    assert session.locked and session.id != old
    previous = cls(None, lock_timeout=0.05, **extra)
    previous._id = old
    previous.acquire_lock()  # the old id's lock is free again
    previous.release_lock()
    contender = cls(None, lock_timeout=0.05, **extra)
    contender._id = session.id
    with pytest.raises(SessionLockTimeout):
        contender.acquire_lock()  # the new id's lock is held
    session.save()
    assert not session.locked
    contender.acquire_lock()
    assert contender.get("v") == 1
    contender.release_lock()
