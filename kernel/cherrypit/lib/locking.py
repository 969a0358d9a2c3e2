"""CherryPy's ``cherrypy.lib.locking`` import path: lock-acquisition timeouts.

A :class:`LockChecker` is created when a caller starts waiting for a lock (a session
lock, say) and asked :meth:`~LockChecker.expired` between attempts; it raises
:class:`LockTimeout` once the allowed time has passed.
"""

from __future__ import annotations

import datetime

__all__ = ["LockChecker", "LockTimeout", "NeverExpires", "Timer"]


class NeverExpires:
    """A timer that never runs out (no timeout configured)."""

    def expired(self) -> bool:
        return False


class Timer:
    """Expires at a fixed moment (an aware UTC :class:`~datetime.datetime`)."""

    def __init__(self, expiration: datetime.datetime) -> None:
        self.expiration = expiration

    @classmethod
    def after(cls, elapsed: datetime.timedelta | float) -> Timer:
        """A timer running out ``elapsed`` (a timedelta, or seconds) from now."""
        if not isinstance(elapsed, datetime.timedelta):
            elapsed = datetime.timedelta(seconds=elapsed)
        return cls(datetime.datetime.now(datetime.UTC) + elapsed)

    def expired(self) -> bool:
        return datetime.datetime.now(datetime.UTC) >= self.expiration


class LockTimeout(Exception):
    """A lock could not be acquired in time."""


class LockChecker:
    """Tracks how long acquiring the lock of ``session_id`` may still take.

    :param timeout: a timedelta or seconds; falsy means wait forever.
    """

    def __init__(self, session_id: str, timeout: datetime.timedelta | float | None) -> None:
        self.session_id = session_id
        self.timer: Timer | NeverExpires = Timer.after(timeout) if timeout else NeverExpires()

    def expired(self) -> bool:
        """Return ``False`` while time is left.

        :raises LockTimeout: once the timeout has passed.
        """
        if self.timer.expired():
            raise LockTimeout(f"Timeout acquiring lock for {self.session_id}")
        return False
