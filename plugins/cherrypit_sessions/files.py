"""File storage: one JSON file per session in ``storage_path`` (CherryPy's ``FileSession``).

File names keep CherryPy's scheme (``session-<id>``, lock ``session-<id>.lock``) so old
files can be migrated in place, but a name is only ever built from a validated id, and
the resolved path must sit directly inside the storage directory.  Files are written
atomically (a temporary file renamed over the old one) with mode 0600.
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
import pickle
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cherrypit import ConfigError, HTTPError, log
from cherrypit_sessions import codec
from cherrypit_sessions.base import Session, SessionLockTimeout
from cherrypit_sessions.filelock import FileLock

__all__ = ["FileSession"]

#: Leftover temporary files older than this (seconds) are removed by the sweep.
_STALE_TEMP_AGE = 3600


@functools.lru_cache(maxsize=64)
def _resolved_root(storage_path: str) -> Path:
    return Path(storage_path).resolve()


class FileSession(Session):
    """Sessions stored as files, shared by every process that uses the same directory.

    Settings: ``storage_path`` (required; created with mode 0700 if missing),
    ``lock_timeout`` and ``allow_pickle``.
    """

    strict_settings = True
    SESSION_PREFIX = "session-"
    LOCK_SUFFIX = ".lock"
    #: The directory holding the session files (``tools.sessions.storage_path``).
    storage_path = ""
    #: Accepted from CherryPy configs and ignored: session files are JSON, not pickles.
    pickle_protocol = pickle.HIGHEST_PROTOCOL

    _lock_file: FileLock | None = None

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:
        path = kwargs.get("storage_path") or self.storage_path
        if not path:
            raise ConfigError("tools.sessions.storage_path: FileSession needs a directory")
        kwargs["storage_path"] = os.path.abspath(path)
        super().__init__(id, **kwargs)

    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        """Create the storage directory (mode 0700) if needed and check it is usable."""
        path = kwargs.get("storage_path") or cls.storage_path
        if not path:
            raise ConfigError("tools.sessions.storage_path: FileSession needs a directory")
        root = Path(path)
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"tools.sessions.storage_path: cannot create {path!r}: {exc}"
            ) from exc
        if not os.access(root, os.W_OK | os.X_OK):
            raise ConfigError(f"tools.sessions.storage_path: {path!r} is not writable")

    # -- paths -------------------------------------------------------------------------

    @property
    def _root(self) -> Path:
        return _resolved_root(self.storage_path)

    def _file(self, suffix: str = "") -> Path:
        """The path of this session's file; only for a valid id inside the storage."""
        sid = self.id
        if sid is None or not self.is_valid_id(sid):
            raise HTTPError(400, "Invalid session id.")
        root = self._root
        path = root / f"{self.SESSION_PREFIX}{sid}{suffix}"
        if path.resolve().parent != root:
            raise HTTPError(400, "Invalid session id.")
        return path

    # -- storage -----------------------------------------------------------------------

    def _exists(self) -> bool:
        return self._file().is_file()

    def _load(self) -> tuple[dict[str, Any], datetime.datetime] | None:
        path = self._file()
        with self._locked():
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                return None
        return self._decode(raw, path)

    def _decode(self, raw: bytes, path: Path) -> tuple[dict[str, Any], datetime.datetime] | None:
        try:
            return codec.loads(raw, allow_pickle=self.allow_pickle, tz=self.now().tzinfo)
        except codec.UnreadableSession as exc:
            log(f"Ignoring session file {path.name}: {exc}", "TOOLS.SESSIONS", logging.WARNING)
            return None

    def _save(self, expiration_time: datetime.datetime) -> None:
        payload = codec.dumps(self._data, expiration_time)  # TypeError before any write
        path = self._file()
        with self._locked():
            fd, temp = tempfile.mkstemp(
                prefix=f".{self.SESSION_PREFIX}", suffix=".tmp", dir=path.parent
            )
            try:
                with os.fdopen(fd, "wb") as stream:
                    stream.write(payload)
                os.replace(temp, path)
            except BaseException:
                try:
                    os.unlink(temp)
                except FileNotFoundError:
                    pass
                raise

    def _delete(self) -> None:
        path = self._file()
        with self._locked():
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    @contextmanager
    def _locked(self) -> Iterator[None]:
        # CherryPy asserted the lock was held here; taking it for the one operation
        # instead makes explicit-locking code that forgot acquire_lock() safe.
        if self.locked:
            yield
            return
        self.acquire_lock()
        try:
            yield
        finally:
            self.release_lock()

    # -- locking -----------------------------------------------------------------------

    def acquire_lock(self, path: str | os.PathLike[str] | None = None) -> None:
        """Take this session's lock file, waiting at most ``lock_timeout`` seconds.

        :param path: CherryPy's signature: the session file whose lock to take.  Only
            this session's own file is accepted (a lock elsewhere would escape the
            storage directory).
        :raises ValueError: for any other ``path``.
        """
        if path is not None and Path(path) != self._file():
            raise ValueError(f"{path!r} is not the file of this session")
        if self.locked:
            return
        lock = FileLock(self._file(self.LOCK_SUFFIX))
        if not lock.acquire(self.lock_timeout):
            raise SessionLockTimeout(self.lock_timeout)
        self._lock_file = lock
        self.locked = True
        self._debug("Lock acquired.")

    def release_lock(self, path: str | os.PathLike[str] | None = None) -> None:
        """Give the lock back and remove the lock file.

        :param path: accepted for CherryPy's signature; the lock released is always
            the one this session holds.
        """
        lock = self._lock_file
        self.locked = False
        self._lock_file = None
        if lock is not None:
            lock.release()
            self._debug("Lock released.")

    # -- sweeping ----------------------------------------------------------------------

    def clean_up(self) -> None:
        """Delete expired session files, orphaned lock files and stale temporary files.

        Sessions locked by a request are skipped (the next sweep sees them).  Only
        names built from valid ids are touched; anything else in the directory is left.
        """
        root = self._root
        now = self.now()
        prefix, lock_suffix = self.SESSION_PREFIX, self.LOCK_SUFFIX
        with os.scandir(root) as entries:
            names = [entry.name for entry in entries]
        for name in names:
            if name.startswith(f".{prefix}") and name.endswith(".tmp"):
                self._remove_stale_temp(root / name)
                continue
            if not name.startswith(prefix):
                continue
            sid = name[len(prefix) :]
            is_lock = sid.endswith(lock_suffix)
            if is_lock:
                sid = sid[: -len(lock_suffix)]
            if not self.is_valid_id(sid):
                continue
            lock = FileLock(root / f"{prefix}{sid}{lock_suffix}")
            if not lock.acquire(0):
                continue
            try:
                if not is_lock:
                    self._drop_if_expired(root / name, now)
            finally:
                lock.release()

    def _drop_if_expired(self, path: Path, now: datetime.datetime) -> None:
        try:
            raw = path.read_bytes()
            modified = path.stat().st_mtime
        except FileNotFoundError:
            return
        stored = self._decode(raw, path)
        if stored is not None:
            expired = stored[1] < now
        else:
            # Unreadable: fall back to the file's age.
            expired = modified + self.timeout * 60 < time.time()
        if expired:
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    @staticmethod
    def _remove_stale_temp(path: Path) -> None:
        try:
            if path.stat().st_mtime + _STALE_TEMP_AGE < time.time():
                path.unlink()
        except FileNotFoundError:
            pass

    def __len__(self) -> int:
        """The number of stored sessions (CherryPy's meaning of ``len(session)``)."""
        prefix = self.SESSION_PREFIX
        with os.scandir(self._root) as entries:
            return sum(
                1
                for entry in entries
                if entry.name.startswith(prefix) and self.is_valid_id(entry.name[len(prefix) :])
            )
