"""The demo's data: users and their notes in SQLite, attachments as files beside it.

Everything lives in one data directory::

    <data dir>/notes.sqlite3      users and notes
    <data dir>/uploads/<key>      one file per attachment (the name is random)
    <data dir>/sessions/          session files (written by tools.sessions)

The database is created on first use.  Each call opens its own connection, so the
store is safe to share between the server's worker threads.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Attachment", "Note", "Store", "User", "UsernameTaken"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    attachment_key  TEXT,
    attachment_name TEXT,
    attachment_type TEXT,
    attachment_size INTEGER
);
CREATE INDEX IF NOT EXISTS notes_by_user ON notes (user_id, updated_at);
"""


class UsernameTaken(Exception):
    """Sign-up with a name that already has an account."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str


@dataclass(frozen=True)
class Attachment:
    key: str
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class Note:
    id: int
    user_id: int
    title: str
    body: str
    created_at: str
    updated_at: str
    attachment: Attachment | None

    def to_json(self) -> dict[str, Any]:
        """The note as the REST API shows it."""
        attachment = None
        if self.attachment is not None:
            attachment = {
                "name": self.attachment.name,
                "content_type": self.attachment.content_type,
                "size": self.attachment.size,
            }
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "attachment": attachment,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _note(row: sqlite3.Row) -> Note:
    attachment = None
    if row["attachment_key"]:
        attachment = Attachment(
            row["attachment_key"],
            row["attachment_name"],
            row["attachment_type"],
            row["attachment_size"],
        )
    return Note(
        row["id"],
        row["user_id"],
        row["title"],
        row["body"],
        row["created_at"],
        row["updated_at"],
        attachment,
    )


class Store:
    """Users and notes in ``<data_dir>/notes.sqlite3``; see the module docstring."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.db_path = self.data_dir / "notes.sqlite3"
        self.uploads = self.data_dir / "uploads"

    def create(self) -> None:
        """Create the data directory and the tables if they are missing."""
        self.uploads.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=10)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        finally:
            db.close()

    # -- users ----------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str) -> User:
        try:
            with self._db() as db:
                cursor = db.execute(
                    "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)",
                    (username, password_hash, _now()),
                )
        except sqlite3.IntegrityError:
            raise UsernameTaken(username) from None
        assert cursor.lastrowid is not None
        return User(cursor.lastrowid, username, password_hash)

    def user_named(self, username: str) -> User | None:
        with self._db() as db:
            row = db.execute(
                "SELECT id, username, password_hash FROM users WHERE username = ?", (username,)
            ).fetchone()
        return User(row["id"], row["username"], row["password_hash"]) if row else None

    # -- notes ----------------------------------------------------------------------------

    def notes_of(self, user_id: int) -> list[Note]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM notes WHERE user_id = ? ORDER BY updated_at DESC, id DESC",
                (user_id,),
            ).fetchall()
        return [_note(row) for row in rows]

    def note(self, user_id: int, note_id: int) -> Note | None:
        """The note, if it exists and belongs to ``user_id``."""
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM notes WHERE id = ? AND user_id = ?", (note_id, user_id)
            ).fetchone()
        return _note(row) if row else None

    def add_note(self, user_id: int, title: str, body: str) -> Note:
        now = _now()
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO notes (user_id, title, body, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (user_id, title, body, now, now),
            )
        assert cursor.lastrowid is not None
        return Note(cursor.lastrowid, user_id, title, body, now, now, None)

    def update_note(self, user_id: int, note_id: int, title: str, body: str) -> Note | None:
        with self._db() as db:
            db.execute(
                "UPDATE notes SET title = ?, body = ?, updated_at = ? WHERE id = ? AND user_id = ?",
                (title, body, _now(), note_id, user_id),
            )
        return self.note(user_id, note_id)

    def delete_note(self, user_id: int, note_id: int) -> bool:
        note = self.note(user_id, note_id)
        if note is None:
            return False
        with self._db() as db:
            db.execute("DELETE FROM notes WHERE id = ? AND user_id = ?", (note_id, user_id))
        self._remove_file(note.attachment)
        return True

    # -- attachments ----------------------------------------------------------------------

    def attach(self, note: Note, name: str, content_type: str, data: bytes) -> Note:
        """Store ``data`` as the note's attachment, replacing any previous one."""
        key = secrets.token_hex(16)
        self.uploads.mkdir(parents=True, exist_ok=True)
        (self.uploads / key).write_bytes(data)
        with self._db() as db:
            db.execute(
                "UPDATE notes SET attachment_key = ?, attachment_name = ?, attachment_type = ?,"
                " attachment_size = ?, updated_at = ? WHERE id = ?",
                (key, name, content_type, len(data), _now(), note.id),
            )
        self._remove_file(note.attachment)
        updated = self.note(note.user_id, note.id)
        assert updated is not None
        return updated

    def detach(self, note: Note) -> Note:
        with self._db() as db:
            db.execute(
                "UPDATE notes SET attachment_key = NULL, attachment_name = NULL,"
                " attachment_type = NULL, attachment_size = NULL, updated_at = ? WHERE id = ?",
                (_now(), note.id),
            )
        self._remove_file(note.attachment)
        updated = self.note(note.user_id, note.id)
        assert updated is not None
        return updated

    def attachment_path(self, attachment: Attachment) -> Path:
        return self.uploads / attachment.key

    def _remove_file(self, attachment: Attachment | None) -> None:
        if attachment is not None:
            self.attachment_path(attachment).unlink(missing_ok=True)
