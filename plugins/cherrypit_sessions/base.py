"""The session object: a dict-like view of one client's stored data.

:class:`Session` is the storage-independent part (CherryPy's ``Session``): id handling,
lazy loading, expiry, regeneration and the dict interface.  A storage subclasses it and
implements ``_exists``, ``_load``, ``_save``, ``_delete``, ``acquire_lock``,
``release_lock`` and ``clean_up`` (plus, optionally, the ``setup`` class method), the
same contract CherryPy storages follow, so storages written for CherryPy keep working.

Session ids are 40 lowercase hex characters (160 random bits).  An id that does not
have that form, or that the storage does not know, is never looked up further: the
client gets a fresh id (fixation protection), and ``missing`` tells the handler so.
"""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, ClassVar

from cherrypit import HTTPError, log
from cherrypit.lib.locking import LockTimeout

__all__ = ["Session", "SessionLockTimeout", "lock_timeout_seconds"]

#: The id format cherrypit generates and accepts.
ID_PATTERN = re.compile(r"[0-9a-f]{40}")

_NOTHING: Any = object()
#: CherryPy's name for the "no default given" marker of :meth:`Session.pop`.
missing = _NOTHING


class SessionLockTimeout(HTTPError, LockTimeout):
    """The session lock was not free within ``lock_timeout`` seconds (answered with 503)."""

    def __init__(self, waited: float | None) -> None:
        seconds = f"{waited:g} s" if waited is not None else "the allowed time"
        super().__init__(
            503,
            f"Timed out after {seconds} waiting for the session lock: another request of "
            "the same session still holds it (see tools.sessions.lock_timeout).",
        )
        self.waited = waited


def lock_timeout_seconds(value: Any, key: str = "lock_timeout") -> float | None:
    """Normalise a lock timeout (seconds, a timedelta or ``None`` = wait forever).

    :raises ValueError: for negative or non-numeric values.
    """
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{key} must be seconds (a number), a timedelta or None, not {value!r}")
    if value < 0:
        raise ValueError(f"{key} must not be negative, got {value!r}")
    return float(value)


class Session:
    """One client's session data, loaded on first use and saved at the end of the request.

    :param id: the id the client sent (``None`` when it sent none).
    :param kwargs: settings (``timeout``, ``lock_timeout``, storage options ...), set as
        attributes of the instance, as CherryPy does.
    """

    #: Accepted (and generated) ids; a storage using other ids overrides it together
    #: with :meth:`generate_id`.
    id_pattern: ClassVar[re.Pattern[str]] = ID_PATTERN
    #: When true, config keys this class has no attribute for are rejected (typo guard).
    strict_settings: ClassVar[bool] = False

    #: Minutes after its last save before stored data expires.
    timeout: float = 60
    #: Minutes between two sweeps of expired sessions (0 or ``None``: no sweeping).
    clean_freq: float | None = 5
    #: ``implicit``, ``early`` or ``explicit`` (see the tool).
    locking = "implicit"
    #: Seconds to wait for the session lock before answering 503 (``None``: forever).
    lock_timeout: float | None = 30.0
    #: Read CherryPy's pickled session files (migration only: pickle runs code).
    allow_pickle = False
    debug = False
    #: True while this instance holds the lock of its session.
    locked = False
    #: True once the stored data was read (the first access does it).
    loaded = False
    #: The id the client sent, valid or not (``None`` if it sent none).
    originalid: str | None = None
    #: True if the client sent an id that is malformed, unknown or expired.
    missing = False
    #: True once the application called :meth:`regenerate`.
    regenerated = False
    #: CherryPy compat: the cleanup :class:`~cherrypit.process.plugins.Monitor` of this class.
    clean_thread: Any = None

    #: Callables told each new id (``None`` on the class; a list per session).
    id_observers: list[Callable[[str], Any]] = None  # type: ignore[assignment]

    def __init__(self, id: str | None = None, **kwargs: Any) -> None:
        self.id_observers = []
        self._data: dict[str, Any] = {}
        self._id: str | None = None
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.lock_timeout = lock_timeout_seconds(self.lock_timeout)
        self.originalid = id
        self.missing = False
        if id is not None:
            if self.is_valid_id(id):
                self._id = id
                if self._exists():
                    self._debug("Using the session the client sent.")
                    return
                self._id = None
            # Unknown, expired or forged: never adopt a client-chosen id (fixation).
            self._debug("The client sent an unknown or malformed session id; making a new one.")
            self.missing = True
        self._regenerate()

    # -- ids -------------------------------------------------------------------------

    @property
    def id(self) -> str | None:
        """The current session id (observers hear about every new one)."""
        return self._id

    @id.setter
    def id(self, value: str | None) -> None:
        if value is not None and not self.is_valid_id(value):
            raise ValueError(f"not a valid session id for {type(self).__name__}: {value!r}")
        self._id = value
        if value is not None:
            for observer in self.id_observers:
                observer(value)

    @classmethod
    def is_valid_id(cls, value: object) -> bool:
        """Tell whether ``value`` has the form of a session id of this storage."""
        return isinstance(value, str) and cls.id_pattern.fullmatch(value) is not None

    def generate_id(self) -> str:
        """Return a new random id (160 bits as 40 hex digits)."""
        return secrets.token_hex(20)

    def now(self) -> datetime.datetime:
        """The current time as this storage compares expiry times (naive local time)."""
        return datetime.datetime.now()

    def regenerate(self) -> None:
        """Give this session a new id, dropping the stored data of the old one.

        Data already loaded stays in the instance and is saved under the new id; call
        it after a login or any privilege change.
        """
        self.regenerated = True
        self._regenerate()

    def _regenerate(self) -> None:
        if self._id is not None:
            self.delete()
        was_locked = self.locked
        if was_locked:
            self.release_lock()
        self._id = None
        new_id = self._new_id()
        self.id = new_id
        if was_locked:
            self.acquire_lock()
        self._debug("Generated a new session id.")

    def _new_id(self) -> str:
        while True:
            candidate = self.generate_id()
            if not self.is_valid_id(candidate):
                raise ValueError(
                    f"{type(self).__name__}.generate_id() returned {candidate!r}, which "
                    "does not match its id_pattern"
                )
            self._id = candidate
            if not self._exists():
                return candidate

    # -- storage life cycle ------------------------------------------------------------

    def load(self) -> None:
        """Read the stored data (empty if there is none or it has expired)."""
        stored = self._load()
        if stored is None or stored[1] < self.now():
            self._debug("No live data stored for this session.")
            self._data = {}
        else:
            self._data = stored[0]
        self.loaded = True

    def save(self) -> None:
        """Store the data (if it was ever loaded) and release the lock.

        Once saved, the data counts as unloaded: the lock is gone, so a later access in
        the same request reads the stored data again, and the tool's own save at the
        end of the request does not write this (possibly stale) copy a second time.
        """
        try:
            if self.loaded:
                expiration = self.now() + datetime.timedelta(minutes=self.timeout)
                self._save(expiration)
                self.loaded = False
                self._debug(f"Saved the session; it expires at {expiration}.")
        finally:
            if self.locked:
                self.release_lock()

    def delete(self) -> None:
        """Remove this session's stored data."""
        self._delete()
        self._debug("Deleted the stored session.")

    def expire(self) -> None:
        """End this session: delete its data and tell the client to drop the cookie."""
        from cherrypit_sessions.cookies import expire_cookie

        self.delete()
        self._data = {}
        self.loaded = False
        expire_cookie(getattr(self, "cookie_name", None))

    def clean_up(self) -> None:
        """Delete the expired sessions of this storage (called by the cleanup monitor)."""

    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        """Prepare the storage once for a set of settings (before the first session)."""

    # -- what a storage implements --------------------------------------------------

    def _exists(self) -> bool:
        raise NotImplementedError(f"{type(self).__name__} must implement _exists()")

    def _load(self) -> tuple[dict[str, Any], datetime.datetime] | None:
        raise NotImplementedError(f"{type(self).__name__} must implement _load()")

    def _save(self, expiration_time: datetime.datetime) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _save()")

    def _delete(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _delete()")

    def acquire_lock(self) -> None:
        """Take the exclusive lock of this session's data (waits up to ``lock_timeout``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement acquire_lock()")

    def release_lock(self) -> None:
        """Give the lock back."""
        raise NotImplementedError(f"{type(self).__name__} must implement release_lock()")

    # -- the dict interface (each access loads the data first) -----------------------

    def _loaded_data(self) -> dict[str, Any]:
        if not self.loaded:
            self.load()
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._loaded_data()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._loaded_data()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._loaded_data()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._loaded_data()

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._loaded_data()))

    def get(self, key: str, default: Any = None) -> Any:
        """``session[key]`` if present, else ``default``."""
        return self._loaded_data().get(key, default)

    def pop(self, key: str, default: Any = _NOTHING) -> Any:
        """Remove ``key`` and return its value (``default`` if absent, else KeyError)."""
        data = self._loaded_data()
        if default is _NOTHING:
            return data.pop(key)
        return data.pop(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """``session[key]``, storing ``default`` first if the key is absent."""
        return self._loaded_data().setdefault(key, default)

    def update(self, d: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), **kw: Any) -> None:
        """Store every pair of ``d`` and ``kw``."""
        self._loaded_data().update(d, **kw)

    def clear(self) -> None:
        """Remove every key (the session itself stays)."""
        self._loaded_data().clear()

    def keys(self) -> KeysView[str]:
        return self._loaded_data().keys()

    def values(self) -> ValuesView[Any]:
        return self._loaded_data().values()

    def items(self) -> ItemsView[str, Any]:
        return self._loaded_data().items()

    def _debug(self, message: str) -> None:
        if self.debug:
            log(message, "TOOLS.SESSIONS")
