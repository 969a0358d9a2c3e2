"""RAM storage: sessions in a dict of this process (CherryPy's default ``RamSession``).

Data lives as Python objects (nothing is serialised, so any value works) and dies with
the process; use the file or Redis storage to share sessions between processes.  Each
session id has its own lock, taken with a timeout.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any, ClassVar

from cherrypit_sessions.base import Session, SessionLockTimeout

__all__ = ["RamSession", "WarmupSession"]


class RamSession(Session):
    """Sessions kept in memory, shared by the threads of one process."""

    strict_settings = True
    #: id → (data, expiration time).  Class-level: every instance sees the same store.
    cache: ClassVar[dict[str, tuple[dict[str, Any], datetime.datetime]]] = {}
    #: id → the lock of that session.
    locks: ClassVar[dict[str, threading.Lock]] = {}
    # Guards ``locks`` so a sweep and a request never end up with two locks for one id.
    _locks_guard: ClassVar[threading.Lock] = threading.Lock()

    _held: threading.Lock | None = None

    def _exists(self) -> bool:
        return self.id in self.cache

    def _load(self) -> tuple[dict[str, Any], datetime.datetime] | None:
        entry = self.cache.get(self.id or "")
        if entry is None:
            return None
        # A copy: a request that holds no lock must not see another one's half-done edits.
        return dict(entry[0]), entry[1]

    def _save(self, expiration_time: datetime.datetime) -> None:
        assert self.id is not None
        self.cache[self.id] = (dict(self._data), expiration_time)

    def _delete(self) -> None:
        self.cache.pop(self.id or "", None)

    def acquire_lock(self) -> None:
        """Take this session's lock, waiting at most ``lock_timeout`` seconds."""
        if self.locked:
            return
        sid = self.id
        assert sid is not None
        timeout = self.lock_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._locks_guard:
                lock = self.locks.setdefault(sid, threading.Lock())
            remaining = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
            if not lock.acquire(timeout=remaining):
                raise SessionLockTimeout(timeout)
            with self._locks_guard:
                if self.locks.get(sid) is lock:
                    break
            # A sweep retired this lock while we waited for it: use the current one.
            lock.release()
        self._held = lock
        self.locked = True
        self._debug("Lock acquired.")

    def release_lock(self) -> None:
        """Give the lock back (does nothing if this instance does not hold it)."""
        lock = self._held
        self.locked = False
        self._held = None
        if lock is not None:
            lock.release()
            self._debug("Lock released.")

    def clean_up(self) -> None:
        """Drop expired sessions (skipping any a request is using) and unused locks."""
        now = self.now()
        for sid, (_, expiration) in list(self.cache.items()):
            if expiration > now:
                continue
            with self._locks_guard:
                lock = self.locks.get(sid)
                if lock is not None and not lock.acquire(blocking=False):
                    continue  # in use right now: the next sweep will see it
                entry = self.cache.get(sid)
                if entry is not None and entry[1] <= now:
                    del self.cache[sid]
                if lock is not None:
                    del self.locks[sid]
                    lock.release()
        with self._locks_guard:
            for sid, lock in list(self.locks.items()):
                if sid not in self.cache and lock.acquire(blocking=False):
                    del self.locks[sid]
                    lock.release()

    def __len__(self) -> int:
        """The number of stored sessions (CherryPy's meaning of ``len(session)``)."""
        return len(self.cache)


class WarmupSession(RamSession):
    """The sessions of the start-up warm-up probe: RAM sessions that are never stored.

    Their own (empty) cache and locks: the application's sessions are not touched.
    """

    cache: ClassVar[dict[str, tuple[dict[str, Any], datetime.datetime]]] = {}
    locks: ClassVar[dict[str, threading.Lock]] = {}

    def _save(self, expiration_time: datetime.datetime) -> None:
        pass

    def release_lock(self) -> None:
        sid = self.id
        super().release_lock()
        with self._locks_guard:
            self.locks.pop(sid or "", None)
