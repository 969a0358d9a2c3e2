"""An exclusive lock file (``fcntl.flock``) taken with a timeout.

The kernel drops an ``flock`` when its holder's process dies, so a crash never leaves
a session locked; at worst it leaves an empty lock file, which the holder normally
removes on release and the cleanup sweep removes otherwise.  Removing a lock file that
another process has opened but not yet locked is safe: after locking, a waiter checks
that its descriptor is still the file at the path and starts over if not.

Each acquisition opens its own descriptor, so threads of one process exclude each
other too (``flock`` belongs to the open file, not to the process).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

__all__ = ["FileLock"]

_FIRST_DELAY = 0.001
_MAX_DELAY = 0.01


class FileLock:
    """The lock file at ``path`` (created on demand, mode 0600, never via a symlink)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, timeout: float | None) -> bool:
        """Take the lock; wait at most ``timeout`` seconds (``None``: forever).

        :returns: ``False`` if the lock stayed busy for the whole timeout.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = _FIRST_DELAY
        while True:
            fd = self._try_once()
            if fd is not None:
                self._fd = fd
                return True
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                delay = min(delay, remaining)
            time.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)

    def _try_once(self) -> int | None:
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
        while True:
            fd = os.open(self.path, flags, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
            try:
                on_disk = os.stat(self.path, follow_symlinks=False)
            except FileNotFoundError:
                on_disk = None
            mine = os.fstat(fd)
            if on_disk is not None and (on_disk.st_dev, on_disk.st_ino) == (
                mine.st_dev,
                mine.st_ino,
            ):
                return fd
            # The previous holder removed the file after we opened it: we locked an
            # orphan.  Start over on the file that is at the path now.
            os.close(fd)

    def release(self, remove: bool = True) -> None:
        """Give the lock back; with ``remove``, delete the lock file first (while held)."""
        fd = self._fd
        if fd is None:
            return
        self._fd = None
        try:
            if remove:
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass
        finally:
            os.close(fd)
