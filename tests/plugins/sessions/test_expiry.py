"""Expiry (tiny timeouts, no long sleeps), sweeping, and the cleanup monitor on the bus."""

from __future__ import annotations

import datetime
import time

import cherrypit
from cherrypit_sessions import storages
from cherrypit_sessions.api import RamSession


def wait_past(moment: datetime.datetime) -> None:
    """Block until the local clock has passed ``moment`` (a few milliseconds here)."""
    while datetime.datetime.now() <= moment:
        time.sleep(0.005)


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_expired_data_is_not_loaded(mount, app) -> None:
    client = mount(app, {"/": {"tools.sessions.on": True, "tools.sessions.timeout": 0.001}})
    client.get("/count")
    sid = client.cookies["session_id"]
    assert RamSession.cache[sid][0] == {"count": 1}
    wait_past(RamSession.cache[sid][1])
    assert client.get("/count").text == "1"


def test_clean_up_drops_expired_sessions_and_their_locks(site_reset) -> None:
    short = RamSession(timeout=0.001)
    short["x"] = 1
    short.save()
    long = RamSession()
    long["x"] = 1
    long.save()
    short.acquire_lock()
    short.release_lock()
    assert short.id in RamSession.locks
    wait_past(RamSession.cache[short.id or ""][1])
    RamSession().clean_up()
    assert short.id not in RamSession.cache and short.id not in RamSession.locks
    assert long.id in RamSession.cache


def test_clean_up_skips_a_session_in_use(site_reset) -> None:
    busy = RamSession(timeout=0.001)
    busy["x"] = 1
    busy.save()
    busy.acquire_lock()
    try:
        wait_past(RamSession.cache[busy.id or ""][1])
        RamSession().clean_up()
        assert busy.id in RamSession.cache
    finally:
        busy.release_lock()
    RamSession().clean_up()
    assert busy.id not in RamSession.cache


def test_the_cleanup_monitor_runs_while_the_engine_runs(mount, app) -> None:
    cherrypit.config.update({"plugins.disable": ["server"]})
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.timeout": 0.001,
            "tools.sessions.clean_freq": 0.0005,  # 30 ms
        }
    }
    client = mount(app, conf)
    client.get("/count")
    sid = client.cookies["session_id"]
    [monitor] = storages.monitors()
    assert monitor.thread is None  # the engine is not running yet
    assert RamSession.clean_thread is monitor
    cherrypit.engine.start()
    try:
        assert monitor.thread is not None and monitor.thread.is_alive()
        assert wait_until(lambda: sid not in RamSession.cache)
    finally:
        cherrypit.engine.stop()
    assert monitor.thread is None


def test_a_monitor_is_started_at_once_when_the_engine_already_runs(mount, app) -> None:
    cherrypit.config.update({"plugins.disable": ["server"]})
    client = mount(app, {"/": {"tools.sessions.on": True}})
    cherrypit.engine.start()
    try:
        client.get("/count")
        [monitor] = storages.monitors()
        assert monitor.thread is not None and monitor.thread.is_alive()
        assert monitor.frequency == 300
    finally:
        cherrypit.engine.stop()
    assert monitor.thread is None


def test_clean_freq_zero_means_no_monitor(mount, app) -> None:
    client = mount(app, {"/": {"tools.sessions.on": True, "tools.sessions.clean_freq": 0}})
    client.get("/count")
    assert storages.monitors() == []


def test_one_monitor_per_storage_settings(mount, app, storage) -> None:
    conf = {
        "/": {"tools.sessions.on": True},
        "/peek": {
            "tools.sessions.storage_type": "file",
            "tools.sessions.storage_path": str(storage),
        },
    }
    client = mount(app, conf)
    for _ in range(3):
        client.get("/count")
        client.get("/peek")
    assert len(storages.monitors()) == 2


def test_a_removed_clean_thread_is_replaced_at_the_next_session(mount, app) -> None:
    # CherryPy code retires a storage's cleanup with ``cls.clean_thread.stop()``,
    # ``.unsubscribe()`` and ``del cls.clean_thread``; the next session starts a new one.
    cherrypit.config.update({"plugins.disable": ["server"]})
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.timeout": 0.001,
            "tools.sessions.clean_freq": 0.0005,  # 30 ms
        }
    }
    client = mount(app, conf)
    cherrypit.engine.start()
    try:
        client.get("/count")
        old = RamSession.clean_thread
        assert old is not None
        old.stop()
        old.unsubscribe()
        del RamSession.clean_thread
        client.get("/count")
        sid = client.cookies["session_id"]
        new = RamSession.clean_thread
        assert new is not None and new is not old
        assert storages.monitors() == [new]
        assert new.thread is not None and new.thread.is_alive()
        assert wait_until(lambda: sid not in RamSession.cache)
    finally:
        cherrypit.engine.stop()


def test_built_in_storages_are_ready_when_the_engine_has_started(mount, app, storage) -> None:
    cherrypit.config.update({"plugins.disable": ["server"]})
    conf = {
        "/": {"tools.sessions.on": True},
        "/peek": {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "file",
            "tools.sessions.storage_path": str(storage),
        },
    }
    client = mount(app, conf)
    cherrypit.engine.start()
    try:
        # Before any request: both storages set up, their cleanup running.
        assert storage.is_dir()
        monitors = storages.monitors()
        assert len(monitors) == 2
        assert all(m.thread is not None and m.thread.is_alive() for m in monitors)
        assert RamSession.clean_thread in monitors
        assert client.get("/count").text == "1"
        assert client.get("/peek").status == 200
        # The requests found them prepared: no second monitor.
        assert storages.monitors() == monitors
    finally:
        cherrypit.engine.stop()
    assert all(m.thread is None for m in monitors)


def test_an_application_storage_class_is_set_up_by_its_first_session(mount, app) -> None:
    setups: list[dict[str, object]] = []

    class Recording(RamSession):
        @classmethod
        def setup(cls, **kwargs) -> None:
            setups.append(kwargs)

    cherrypit.config.update({"plugins.disable": ["server"]})
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_class": Recording}}
    client = mount(app, conf)
    cherrypit.engine.start()
    try:
        assert setups == []  # application code: not run at start-up
        assert client.get("/count").text == "1"
        assert len(setups) == 1
    finally:
        cherrypit.engine.stop()
