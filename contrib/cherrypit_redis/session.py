"""Sessions in Redis, shared by every process and host that uses the same server.

Each session is one key, ``<prefix><id>``, holding the JSON document of
:mod:`cherrypit_sessions.codec`, with a Redis TTL equal to the session timeout (Redis
expires old sessions itself; there is nothing to sweep).

The lock of a session is a second key, ``<prefix>lock:<id>``, set with ``SET NX PX`` to a
random token: at most one holder at a time, and the key expires after ``lock_ttl``
seconds if its holder dies without releasing it.  Releasing deletes the key only if it
still holds our token (a Lua script, so the check and the delete are one step), so a
holder that outlived its TTL never removes a lock someone else took since.
"""

from __future__ import annotations

import datetime
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import redis

from cherrypit import ConfigError, HTTPError, log
from cherrypit_sessions import codec
from cherrypit_sessions.base import Session, SessionLockTimeout, lock_timeout_seconds

__all__ = ["RedisSession"]

_RELEASE = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
end
return 0
"""
_FIRST_DELAY = 0.001
_MAX_DELAY = 0.01
#: Lock lifetime (seconds) when neither lock_ttl nor lock_timeout is set.
_DEFAULT_LOCK_TTL = 30.0

_clients: dict[tuple[Any, ...], redis.Redis] = {}
_clients_guard = threading.Lock()


def _text(key: bytes | str) -> str:
    return key.decode("ascii", "replace") if isinstance(key, bytes) else key


class RedisSession(Session):
    """A session stored in Redis (``tools.sessions.storage_type = "redis"``).

    Settings: ``url`` (``redis://[:password@]host:port/db``; wins over the next four),
    ``host``, ``port``, ``db``, ``password``, ``prefix``, ``lock_timeout`` and
    ``lock_ttl``.
    """

    strict_settings = True
    url: str | None = None
    host = "localhost"
    port = 6379
    db = 0
    password: str | None = None
    #: Prepended to every key this storage writes.
    prefix = "cherrypit:session:"
    #: Seconds a lock lives if its holder never releases it (default: ``lock_timeout``,
    #: or 30 when that is ``None``).
    lock_ttl: float | None = None

    _token: str | None = None
    _script: ClassVar[Any] = None

    # -- connection ------------------------------------------------------------------

    @classmethod
    def _connection_key(cls, settings: dict[str, Any]) -> tuple[Any, ...]:
        def pick(name: str) -> Any:
            return settings.get(name, getattr(cls, name))

        return (pick("url"), pick("host"), pick("port"), pick("db"), pick("password"))

    @classmethod
    def client_for(cls, **settings: Any) -> redis.Redis:
        """The shared client (one connection pool) for these connection settings."""
        key = cls._connection_key(settings)
        client = _clients.get(key)
        if client is None:
            with _clients_guard:
                client = _clients.get(key)
                if client is None:
                    url, host, port, db, password = key
                    if url:
                        try:
                            client = redis.Redis.from_url(url)
                        except ValueError as exc:
                            raise ConfigError(f"tools.sessions.url: {exc}") from None
                    else:
                        client = redis.Redis(
                            host=host, port=int(port), db=int(db), password=password
                        )
                    _clients[key] = client
        return client

    @classmethod
    def close_connections(cls) -> None:
        """Close every shared client (their pools reconnect if used again)."""
        with _clients_guard:
            clients = list(_clients.values())
            _clients.clear()
        for client in clients:
            client.close()

    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        """Check the connection settings and create the shared client."""
        prefix = kwargs.get("prefix", cls.prefix)
        if not isinstance(prefix, str) or not prefix:
            raise ConfigError(f"tools.sessions.prefix: expected a non-empty string, got {prefix!r}")
        try:
            lock_timeout_seconds(kwargs.get("lock_ttl"), "lock_ttl")
        except ValueError as exc:
            raise ConfigError(f"tools.sessions.{exc}") from None
        cls.client_for(**kwargs)

    @property
    def client(self) -> redis.Redis:
        return self.client_for(
            url=self.url, host=self.host, port=self.port, db=self.db, password=self.password
        )

    @contextmanager
    def _storage(self) -> Iterator[redis.Redis]:
        try:
            yield self.client
        except redis.RedisError as exc:
            log(f"Redis session storage failed: {exc!r}", "TOOLS.SESSIONS", 40)
            raise HTTPError(503, "The session storage is unavailable.") from exc

    def _key(self, suffix: str = "") -> str:
        return f"{self.prefix}{suffix}{self.id}"

    # -- storage -------------------------------------------------------------------------

    def _exists(self) -> bool:
        with self._storage() as client:
            return bool(client.exists(self._key()))

    def _load(self) -> tuple[dict[str, Any], datetime.datetime] | None:
        with self._storage() as client:
            raw = client.get(self._key())
        if raw is None:
            return None
        try:
            # Never pickle here: CherryPy had no Redis storage, so nothing needs migrating.
            data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
            return codec.loads(data, tz=self.now().tzinfo)
        except codec.UnreadableSession as exc:
            log(f"Ignoring an unreadable Redis session: {exc}", "TOOLS.SESSIONS", 30)
            return None

    def _save(self, expiration_time: datetime.datetime) -> None:
        payload = codec.dumps(self._data, expiration_time)
        ttl_ms = max(1, int((expiration_time - self.now()).total_seconds() * 1000))
        with self._storage() as client:
            client.set(self._key(), payload, px=ttl_ms)

    def _delete(self) -> None:
        with self._storage() as client:
            client.delete(self._key())

    def clean_up(self) -> None:
        """Nothing to do: Redis drops expired sessions through their TTL."""

    def __len__(self) -> int:
        """The number of stored sessions (CherryPy's meaning of ``len(session)``)."""
        start = len(self.prefix)
        with self._storage() as client:
            return sum(
                1
                for key in client.scan_iter(match=f"{self.prefix}*", count=500)
                if self.is_valid_id(_text(key)[start:])
            )

    # -- locking ---------------------------------------------------------------------

    def _lock_ttl_ms(self) -> int:
        ttl = lock_timeout_seconds(self.lock_ttl, "lock_ttl")
        if ttl is None:
            ttl = self.lock_timeout
        return max(1, int((ttl if ttl is not None else _DEFAULT_LOCK_TTL) * 1000))

    def acquire_lock(self) -> None:
        """Take the session's lock key, waiting at most ``lock_timeout`` seconds."""
        if self.locked:
            return
        token = secrets.token_hex(16)
        key, ttl_ms, timeout = self._key("lock:"), self._lock_ttl_ms(), self.lock_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = _FIRST_DELAY
        with self._storage() as client:
            while not client.set(key, token, nx=True, px=ttl_ms):
                if deadline is not None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise SessionLockTimeout(timeout)
                    delay = min(delay, remaining)
                time.sleep(delay)
                delay = min(delay * 2, _MAX_DELAY)
        self._token = token
        self.locked = True
        self._debug("Lock acquired.")

    def release_lock(self) -> None:
        """Delete the lock key if it is still ours."""
        token = self._token
        self.locked = False
        self._token = None
        if token is None:
            return
        with self._storage() as client:
            release = type(self)._script
            if release is None:
                release = type(self)._script = client.register_script(_RELEASE)
            release(keys=[self._key("lock:")], args=[token], client=client)
        self._debug("Lock released.")
