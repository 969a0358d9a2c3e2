"""Session ids: malformed or forged ids get a fresh id and never reach the file system."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cherrypit
from cherrypit_sessions.api import FileSession, RamSession

HEX40 = re.compile(r"[0-9a-f]{40}")

MALICIOUS = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "/etc/passwd",
    "a" * 41,
    "a" * 4000,
    "0" * 39,
    "g" * 40,
    "A" * 40,
    "ab" * 19 + "/.",
    "session-x",
]


def all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("bad_id", MALICIOUS)
def test_file_storage_never_uses_a_malformed_id(mount, app, cookie, tmp_path, bad_id) -> None:
    storage = tmp_path / "a" / "b" / "sessions"
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_class": FileSession,
            "tools.sessions.storage_path": str(storage),
        }
    }
    client = mount(app, conf)
    sent = {"Cookie": f'session_id="{bad_id}"'}
    response = client.get("/info", headers=sent)
    new_id = cookie(response)["value"]
    assert HEX40.fullmatch(new_id)
    assert response.text == f"id={new_id} original={bad_id} missing=True"
    client.cookies.clear()
    new_id = cookie(client.get("/count", headers=sent))["value"]
    assert all_files(tmp_path) == {"a", "a/b", "a/b/sessions", f"a/b/sessions/session-{new_id}"}


@pytest.mark.parametrize("bad_id", MALICIOUS[:4])
def test_ram_storage_replaces_a_malformed_id(mount, app, cookie, bad_id) -> None:
    client = mount(app, {"/": {"tools.sessions.on": True}})
    response = client.get("/count", headers={"Cookie": f'session_id="{bad_id}"'})
    new_id = cookie(response)["value"]
    assert HEX40.fullmatch(new_id) and new_id in RamSession.cache
    assert bad_id not in RamSession.cache


def test_generated_ids_are_40_hex_and_distinct(site_reset) -> None:
    ids = {RamSession().id for _ in range(50)}
    assert len(ids) == 50 and all(HEX40.fullmatch(i or "") for i in ids)


def test_an_application_cannot_set_a_malformed_id(site_reset) -> None:
    session = RamSession()
    with pytest.raises(ValueError, match="not a valid session id"):
        session.id = "../x"


def test_file_paths_are_checked_even_for_a_forced_id(storage) -> None:
    session = FileSession(storage_path=str(storage))
    session._id = "../escape"
    with pytest.raises(cherrypit.HTTPError) as caught:
        session._file()
    assert caught.value.code == 400


def test_a_symlinked_session_file_is_refused(storage, tmp_path) -> None:
    FileSession.setup(storage_path=str(storage))
    session = FileSession(storage_path=str(storage))
    outside = tmp_path / "outside"
    outside.write_text("secret")
    (storage / f"session-{session.id}").symlink_to(outside)
    with pytest.raises(cherrypit.HTTPError):
        session.load()
    assert outside.read_text() == "secret"
