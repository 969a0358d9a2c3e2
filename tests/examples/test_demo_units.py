"""The demo's building blocks without a server: password hashes, rules, the SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples.demo.pages import _safe_next
from examples.demo.security import hash_password, verify_password
from examples.demo.store import Store, UsernameTaken
from examples.demo.validation import validate_note, validate_signup


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = hash_password("open sesame"), hash_password("open sesame")
    assert first != second  # a new salt each time
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_password("open sesame", first)
    assert not verify_password("open sesame!", first)


@pytest.mark.parametrize("stored", ["", "plain", "md5$1$2$3$a$b", "scrypt$x$8$1$AA==$AA=="])
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert verify_password("anything", stored) is False


def test_signup_rules() -> None:
    assert validate_signup("ann_b.c-d", "12345678", "12345678") == {}
    assert set(validate_signup("ab", "1234567", "1234567")) == {"username", "password"}
    assert validate_signup("ann", "12345678", "12345679") == {
        "confirm": "The two passwords differ."
    }
    assert "username" in validate_signup("ann smith", "12345678", "12345678")


def test_note_rules() -> None:
    assert validate_note("Title", "") == {}
    assert validate_note("  ", "") == {"title": "Give the note a title."}
    assert "121" in validate_note("x" * 121, "")["title"]
    assert "body" in validate_note("t", "x" * 20_001)


@pytest.mark.parametrize(
    ("target", "followed"),
    [
        ("/notes/3/", "/notes/3/"),
        ("//evil.example/", "/notes/"),
        ("https://evil.example/", "/notes/"),
        ("/\\evil.example", "/notes/"),
        ("", "/notes/"),
    ],
)
def test_login_follows_only_local_paths(target: str, followed: str) -> None:
    assert _safe_next(target) == followed


def test_store_users_are_unique_ignoring_case(tmp_path: Path) -> None:
    store = Store(tmp_path / "data")
    store.create()
    assert (tmp_path / "data" / "notes.sqlite3").is_file()
    ann = store.add_user("Ann", "hash")
    with pytest.raises(UsernameTaken):
        store.add_user("ann", "other")
    found = store.user_named("ANN")
    assert found is not None and found.id == ann.id and found.username == "Ann"
    assert store.user_named("bob") is None


def test_store_notes_belong_to_their_user(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create()
    ann, bob = store.add_user("ann", "h"), store.add_user("bob", "h")
    note = store.add_note(ann.id, "Mine", "text")
    assert store.note(bob.id, note.id) is None
    assert store.update_note(bob.id, note.id, "Stolen", "") is None
    assert store.delete_note(bob.id, note.id) is False
    assert [n.title for n in store.notes_of(ann.id)] == ["Mine"]
    assert store.notes_of(bob.id) == []


def test_store_attachments_replace_and_remove_their_files(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create()
    user = store.add_user("ann", "h")
    note = store.attach(store.add_note(user.id, "With file", ""), "a.txt", "text/plain", b"one")
    assert note.attachment is not None
    first = store.attachment_path(note.attachment)
    assert first.read_bytes() == b"one"
    note = store.attach(note, "b.txt", "text/plain", b"two")
    assert note.attachment is not None and note.attachment.name == "b.txt"
    assert not first.exists()
    second = store.attachment_path(note.attachment)
    assert note.to_json()["attachment"] == {
        "name": "b.txt",
        "content_type": "text/plain",
        "size": 3,
    }
    assert store.delete_note(user.id, note.id)
    assert not second.exists()
