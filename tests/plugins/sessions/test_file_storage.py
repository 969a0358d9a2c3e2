"""File storage on real files: JSON on disk, permissions, locks, pickle migration, sweeping."""

from __future__ import annotations

import datetime
import json
import os
import pickle
import stat

import pytest

from cherrypit_sessions import codec
from cherrypit_sessions.api import FileSession, RamSession
from cherrypit_sessions.filelock import FileLock


def file_conf(storage, **extra):
    conf = {
        "tools.sessions.on": True,
        "tools.sessions.storage_type": "file",
        "tools.sessions.storage_path": str(storage),
    }
    conf.update({f"tools.sessions.{k}": v for k, v in extra.items()})
    return {"/": conf}


def new_session(storage, sid=None, **kw):
    FileSession.setup(storage_path=str(storage))
    return FileSession(sid, storage_path=str(storage), **kw)


def test_sessions_are_json_files_readable_only_by_the_owner(mount, app, storage) -> None:
    client = mount(app, file_conf(storage))
    client.get("/count")
    client.get("/count")
    sid = client.cookies["session_id"]
    assert sorted(os.listdir(storage)) == [f"session-{sid}"]  # no lock file left behind
    path = storage / f"session-{sid}"
    document = json.loads(path.read_bytes())
    assert document["v"] == 1 and document["data"] == {"count": 2}
    expires = datetime.datetime.fromtimestamp(document["expires"])
    assert datetime.timedelta(minutes=59) < expires - datetime.datetime.now()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(storage.stat().st_mode) == 0o700


def test_values_json_cannot_hold_raise_a_type_error_naming_the_key(storage) -> None:
    session = new_session(storage)
    session["fine"] = {"list": [1, 2.5, None, True, "x"], "tuple": (1, 2)}
    session["when"] = datetime.date(2024, 1, 2)
    with pytest.raises(TypeError, match=r"session\['when'\] is a date"):
        session.save()
    assert os.listdir(storage) == []


def test_nested_non_string_keys_are_refused(storage) -> None:
    session = new_session(storage)
    session["cart"] = {"items": [{1: "one"}]}
    with pytest.raises(TypeError, match=r"session\['cart'\]\['items'\]\[0\] has the key 1"):
        session.save()
    session.clear()
    session[2] = "x"
    with pytest.raises(TypeError, match="session key 2 is a int"):
        session.save()


def test_ram_storage_keeps_python_objects(site_reset) -> None:
    session = RamSession()
    when = datetime.date(2024, 1, 2)
    session["when"] = when
    session.save()
    again = RamSession(session.id)
    assert again["when"] == when


def write_cherrypy_pickle(storage, data, minutes=60):
    """A session file exactly as CherryPy's FileSession writes it."""
    sid = "c0" * 20
    expires = datetime.datetime.now() + datetime.timedelta(minutes=minutes)
    storage.mkdir(parents=True, exist_ok=True)
    path = storage / f"session-{sid}"
    path.write_bytes(pickle.dumps((data, expires), pickle.HIGHEST_PROTOCOL))
    return sid, path


def test_pickled_sessions_are_not_read_by_default(mount, app, storage, error_log) -> None:
    sid, _ = write_cherrypy_pickle(storage, {"count": 41})
    client = mount(app, file_conf(storage))
    client.cookies["session_id"] = sid
    assert client.get("/count").text == "1"
    assert "tools.sessions.allow_pickle = True" in error_log.text()


def test_allow_pickle_reads_old_files_and_rewrites_them_as_json(mount, app, storage) -> None:
    sid, path = write_cherrypy_pickle(storage, {"count": 41})
    client = mount(app, file_conf(storage, allow_pickle=True))
    client.cookies["session_id"] = sid
    assert client.get("/count").text == "42"
    assert json.loads(path.read_bytes())["data"] == {"count": 42}


def test_a_corrupt_file_reads_as_an_empty_session(mount, app, storage) -> None:
    sid = "d1" * 20
    storage.mkdir(parents=True)
    (storage / f"session-{sid}").write_bytes(b"{not json")
    client = mount(app, file_conf(storage))
    client.cookies["session_id"] = sid
    assert client.get("/count").text == "1"
    assert client.cookies["session_id"] == sid


def test_codec_round_trip_and_refusals() -> None:
    expires = datetime.datetime(2030, 5, 6, 7, 8, 9)
    data, back = codec.loads(codec.dumps({"a": [1, {"b": None}]}, expires))
    assert data == {"a": [1, {"b": None}]} and back == expires
    with pytest.raises(codec.UnreadableSession):
        codec.loads(b'{"v": 1}')
    with pytest.raises(codec.PickledSession):
        codec.loads(pickle.dumps(({}, expires)))
    with pytest.raises(codec.UnreadableSession, match="not a CherryPy session"):
        codec.loads(pickle.dumps(["x"]), allow_pickle=True)


def test_explicit_mode_without_a_lock_still_locks_each_write(storage) -> None:
    session = new_session(storage, lock_timeout=0.05)
    session["x"] = 1
    holder = FileLock(storage / f"session-{session.id}.lock")
    assert holder.acquire(0)
    try:
        with pytest.raises(Exception, match="lock_timeout"):
            session.save()
    finally:
        holder.release()
    session["x"] = 2
    session.save()
    assert FileSession(session.id, storage_path=str(storage))["x"] == 2


def test_a_lock_file_left_by_a_crash_does_not_block(storage) -> None:
    session = new_session(storage, lock_timeout=0.05)
    session["x"] = 1
    session.save()
    # A process that died while holding the lock leaves the file, not the lock.
    (storage / f"session-{session.id}.lock").touch()
    again = FileSession(session.id, storage_path=str(storage), lock_timeout=0.05)
    again.acquire_lock()
    assert again.get("x") == 1
    again.release_lock()
    assert not (storage / f"session-{session.id}.lock").exists()


def test_a_lock_file_removed_while_waiting_is_not_trusted(storage) -> None:
    storage.mkdir(parents=True)
    path = storage / "session-x.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.acquire(0)
    first.release(remove=True)
    assert second.acquire(0)
    assert not FileLock(path).acquire(0)
    second.release()


def expired_file(storage, sid):
    session = new_session(storage, timeout=1)
    session._id = sid
    session["x"] = 1
    session.save()
    path = storage / f"session-{sid}"
    document = json.loads(path.read_bytes())
    document["expires"] -= 120
    path.write_bytes(json.dumps(document).encode())
    return path


def test_clean_up_removes_expired_files_and_orphan_locks_only(storage) -> None:
    old = expired_file(storage, "e0" * 20)
    busy = expired_file(storage, "e1" * 20)
    fresh = new_session(storage)
    fresh["x"] = 1
    fresh.save()
    orphan_lock = storage / f"session-{'f0' * 20}.lock"
    orphan_lock.touch()
    foreign = storage / "session-notes.txt"
    foreign.write_text("not ours")
    holder = FileLock(storage / f"{busy.name}.lock")
    assert holder.acquire(0)
    try:
        new_session(storage).clean_up()
    finally:
        holder.release()
    assert not old.exists()
    assert busy.exists()  # in use: left for the next sweep
    assert (storage / f"session-{fresh.id}").exists()
    assert not orphan_lock.exists()
    assert foreign.read_text() == "not ours"
    assert len(fresh) == 2


def test_storage_path_is_required(site_reset) -> None:
    from cherrypit import ConfigError

    with pytest.raises(ConfigError, match=r"tools\.sessions\.storage_path"):
        FileSession()


def test_a_non_json_value_fails_the_request_and_logs_the_key(mount, storage, error_log) -> None:
    import cherrypit

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            cherrypit.session["when"] = datetime.datetime(2024, 1, 1)
            return "ok"

    response = mount(Root(), file_conf(storage)).get("/")
    assert response.status == 500
    assert "session['when'] is a datetime" in error_log.text()
    assert [p.name for p in storage.iterdir()] == []
