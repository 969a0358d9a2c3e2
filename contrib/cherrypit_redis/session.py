"""Sessions in Redis, shared by every process and host that uses the same server.

Each session is one key, ``<prefix><id>``, holding the JSON document of
:mod:`cherrypit_sessions.codec`, with a Redis TTL equal to the session timeout (Redis
expires old sessions itself; there is nothing to sweep).

The lock of a session is a second key, ``<prefix>lock:<id>``, set with ``SET NX PX`` to a
random token: at most one holder at a time, and the key expires after ``lock_ttl``
seconds if its holder dies without releasing it.  Releasing deletes the key only if it
still holds our token (a Lua script, so the check and the delete are one step), so a
holder that outlived its TTL never removes a lock someone else took since.  While a
request runs, a background thread renews its lock every third of ``lock_ttl``, so the
TTL can be short: a lock left behind by a crashed process (or kept by a persistent
Redis across its own restart) blocks that session for at most ``lock_ttl`` seconds.

A stalled Redis must not take the site down with it.  Every call has short socket
timeouts, a connection that broke (a pooled connection from before a Redis restart)
is retried once, and at most ``max_concurrency`` calls per server are in flight in
this process: a request that finds them all busy answers 503 at once instead of
joining the queue, so pages without sessions keep their worker threads.
"""

from __future__ import annotations

import datetime
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

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
# Extends the lock only while it still holds our token.
_RENEW = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("pexpire", KEYS[1], ARGV[2])
end
return 0
"""
_FIRST_DELAY = 0.001
_MAX_DELAY = 0.01
#: Lock lifetime (seconds) of a renewed lock when lock_ttl is not set.
_DEFAULT_LOCK_TTL = 5.0
#: Lock lifetime without renewal when neither lock_ttl nor lock_timeout is set.
_UNRENEWED_LOCK_TTL = 30.0
#: Longest wait for a free slot among ``max_concurrency`` before answering 503.
_SLOT_WAIT = 0.1
#: Seconds between attempts to release a lock abandoned during an outage.
_ABANDONED_RETRY = 0.2
#: Seconds after which an abandoned lock is left to its TTL (Redis gone for good).
_ABANDONED_FOR = 600.0
#: Most abandoned locks remembered at once.
_MAX_ABANDONED = 10_000

_T = TypeVar("_T")


class _Server:
    """One Redis server as this process uses it: a client and its concurrency slots."""

    def __init__(self, client: redis.Redis, max_concurrency: int) -> None:
        self.client = client
        self.slots = threading.BoundedSemaphore(max_concurrency)


_servers: dict[tuple[Any, ...], _Server] = {}
_clients_guard = threading.Lock()


class _Leases:
    """Renews the locks this process holds, and releases abandoned ones, from one thread.

    A lock is abandoned when Redis failed while a request held it or was taking it:
    a command that timed out may still be waiting in a stalled Redis, and take the
    lock when Redis resumes, for a request that answered 503 long ago.  Releasing
    such tokens as soon as Redis answers again keeps the session's next request from
    waiting out the lock's TTL.
    """

    def __init__(self) -> None:
        self._held: dict[tuple[int, str], tuple[redis.Redis, str, int, float]] = {}
        # (client id, key, token) -> (client, give up at, next attempt at)
        self._abandoned: dict[tuple[int, str, str], tuple[redis.Redis, float, float]] = {}
        self._guard = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._script: Any = None
        self._release_script: Any = None

    def _ensure_thread(self) -> None:
        # Called with the guard held.
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="cherrypit-redis-lock-renewal", daemon=True
            )
            self._thread.start()

    def hold(self, client: redis.Redis, key: str, token: str, ttl_ms: int) -> None:
        due = time.monotonic() + ttl_ms / 3000
        with self._guard:
            self._held[(id(client), key)] = (client, token, ttl_ms, due)
            self._ensure_thread()
        self._wake.set()

    def drop(self, client: redis.Redis, key: str) -> None:
        with self._guard:
            self._held.pop((id(client), key), None)

    def abandon(self, client: redis.Redis, key: str, token: str) -> None:
        """Release ``token``'s lock on ``key`` once Redis answers again."""
        now = time.monotonic()
        with self._guard:
            self._held.pop((id(client), key), None)
            if len(self._abandoned) >= _MAX_ABANDONED:
                # A long outage: the oldest locks expire through their TTL instead.
                self._abandoned.pop(next(iter(self._abandoned)))
            self._abandoned[(id(client), key, token)] = (client, now + _ABANDONED_FOR, now)
            self._ensure_thread()
        self._wake.set()

    def _run(self) -> None:
        while True:
            with self._guard:
                due = [(entry[3], k) for k, entry in self._held.items()]
                releases = [(entry[2], k) for k, entry in self._abandoned.items()]
            now = time.monotonic()
            wait = min((d for d, _ in [*due, *releases]), default=now + 1.0) - now
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()
                continue
            for when, ident in due:
                if when <= now:
                    self._renew(ident)
            unreachable: set[int] = set()
            for when, release in releases:
                if when > now:
                    continue
                # One timed-out attempt per server and round: the others wait for the next.
                if release[0] in unreachable or not self._release(release):
                    self._postpone(release)
                    unreachable.add(release[0])

    def _postpone(self, ident: tuple[int, str, str]) -> None:
        now = time.monotonic()
        with self._guard:
            entry = self._abandoned.get(ident)
            if entry is None:
                return
            client, give_up_at, _next = entry
            if now >= give_up_at:
                del self._abandoned[ident]
            else:
                self._abandoned[ident] = (client, give_up_at, now + _ABANDONED_RETRY)

    def _release(self, ident: tuple[int, str, str]) -> bool:
        """Try to release an abandoned lock; False when Redis did not answer."""
        with self._guard:
            entry = self._abandoned.get(ident)
        if entry is None:
            return True
        client = entry[0]
        _client_id, key, token = ident
        try:
            if self._release_script is None:
                self._release_script = client.register_script(_RELEASE)
            self._release_script(keys=[key], args=[token], client=client)
        except redis.RedisError:
            return False
        with self._guard:
            self._abandoned.pop(ident, None)
        return True

    def _renew(self, ident: tuple[int, str]) -> None:
        with self._guard:
            entry = self._held.get(ident)
        if entry is None:
            return
        client, token, ttl_ms, _due = entry
        with self._guard:
            if ident in self._held:
                self._held[ident] = (client, token, ttl_ms, time.monotonic() + ttl_ms / 3000)
        try:
            if self._script is None:
                self._script = client.register_script(_RENEW)
            renewed = self._script(keys=[ident[1]], args=[token, ttl_ms], client=client)
        except redis.RedisError:
            # The request's own next call reports the outage; retry at the next turn.
            return
        if not renewed:
            with self._guard:
                lost = self._held.pop(ident, None) is not None
            if lost:
                log(
                    f"The session lock {ident[1]} expired before it could be renewed; "
                    "another request may hold it now (see tools.sessions.lock_ttl).",
                    "TOOLS.SESSIONS",
                    30,
                )


_leases = _Leases()


def _text(key: bytes | str) -> str:
    return key.decode("ascii", "replace") if isinstance(key, bytes) else key


class RedisSession(Session):
    """A session stored in Redis (``tools.sessions.storage_type = "redis"``).

    Settings: ``url`` (``redis://[:password@]host:port/db``; wins over the next four),
    ``host``, ``port``, ``db``, ``password``, ``prefix``, ``lock_timeout``,
    ``lock_ttl``, ``lock_renewal``, ``socket_timeout``, ``socket_connect_timeout``
    and ``max_concurrency``.
    """

    strict_settings = True
    url: str | None = None
    host = "localhost"
    port = 6379
    db = 0
    password: str | None = None
    #: Prepended to every key this storage writes.
    prefix = "cherrypit:session:"
    #: Seconds a lock outlives its holder's last renewal (default 5); without renewal,
    #: seconds it lives at all (default: ``lock_timeout``, or 30 when that is ``None``).
    lock_ttl: float | None = None
    #: Renew held locks from a background thread while their request runs.
    lock_renewal = True
    #: Seconds to wait for a Redis reply before answering 503 (``None``: forever).
    socket_timeout: float | None = 2.0
    #: Seconds to wait for a new connection to Redis (``None``: forever).
    socket_connect_timeout: float | None = 1.0
    #: Most Redis calls in flight at once per server in this process; beyond, 503.
    max_concurrency = 5

    _token: str | None = None
    _script: ClassVar[Any] = None
    # Set once a call failed: the rest of this request answers 503 without Redis.
    _failed = False

    # -- connection ------------------------------------------------------------------

    @classmethod
    def _connection_key(cls, settings: dict[str, Any]) -> tuple[Any, ...]:
        def pick(name: str) -> Any:
            return settings.get(name, getattr(cls, name))

        return (
            pick("url"),
            pick("host"),
            pick("port"),
            pick("db"),
            pick("password"),
            pick("socket_timeout"),
            pick("socket_connect_timeout"),
            pick("max_concurrency"),
        )

    @classmethod
    def _server_for(cls, settings: dict[str, Any]) -> _Server:
        key = cls._connection_key(settings)
        server = _servers.get(key)
        if server is None:
            with _clients_guard:
                server = _servers.get(key)
                if server is None:
                    url, host, port, db, password, timeout, connect_timeout, slots = key
                    options: dict[str, Any] = {
                        "socket_timeout": timeout,
                        "socket_connect_timeout": connect_timeout,
                        # One retry on a broken connection is ours (see _call); redis-py
                        # must not add its own, least of all on timeouts.
                        "retry": Retry(NoBackoff(), 0),
                    }
                    if url:
                        try:
                            client = redis.Redis.from_url(url, **options)
                        except ValueError as exc:
                            raise ConfigError(f"tools.sessions.url: {exc}") from None
                    else:
                        client = redis.Redis(
                            host=host, port=int(port), db=int(db), password=password, **options
                        )
                    server = _servers[key] = _Server(client, int(slots))
        return server

    @classmethod
    def client_for(cls, **settings: Any) -> redis.Redis:
        """The shared client (one connection pool) for these connection settings."""
        return cls._server_for(settings).client

    @classmethod
    def close_connections(cls) -> None:
        """Close every shared client (their pools reconnect if used again)."""
        with _clients_guard:
            servers = list(_servers.values())
            _servers.clear()
        for server in servers:
            server.client.close()

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
        for name in ("socket_timeout", "socket_connect_timeout"):
            value = kwargs.get(name, getattr(cls, name))
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                raise ConfigError(
                    f"tools.sessions.{name}: expected a positive number of seconds or None, "
                    f"got {value!r}"
                )
        slots = kwargs.get("max_concurrency", cls.max_concurrency)
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ConfigError(
                f"tools.sessions.max_concurrency: expected a positive int, got {slots!r}"
            )
        cls.client_for(**kwargs)

    def _settings(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "host": self.host,
            "port": self.port,
            "db": self.db,
            "password": self.password,
            "socket_timeout": self.socket_timeout,
            "socket_connect_timeout": self.socket_connect_timeout,
            "max_concurrency": self.max_concurrency,
        }

    @property
    def client(self) -> redis.Redis:
        return self._server_for(self._settings()).client

    def _call(self, operation: Callable[[redis.Redis], _T]) -> _T:
        """Run one Redis operation within the concurrency limit; failures are 503.

        :raises HTTPError: 503 when Redis fails, times out, or all slots are busy.
        """
        if self._failed:
            # This request already met (and logged) the outage: no second wait on Redis.
            raise HTTPError(503, "The session storage is unavailable.")
        server = self._server_for(self._settings())
        if not server.slots.acquire(timeout=_SLOT_WAIT):
            self._failed = True
            log(
                f"Redis session storage busy: {self.max_concurrency} calls already wait "
                "for Redis (tools.sessions.max_concurrency)",
                "TOOLS.SESSIONS",
                40,
            )
            raise HTTPError(503, "The session storage is unavailable.")
        try:
            try:
                return operation(server.client)
            except redis.ConnectionError:
                # Most likely a pooled connection from before a Redis restart: the pool
                # has dropped it, and a second try gets a fresh one.
                return operation(server.client)
        except redis.RedisError as exc:
            self._failed = True
            log(f"Redis session storage failed: {exc!r}", "TOOLS.SESSIONS", 40)
            raise HTTPError(503, "The session storage is unavailable.") from None
        finally:
            server.slots.release()

    def _key(self, suffix: str = "") -> str:
        return f"{self.prefix}{suffix}{self.id}"

    # -- storage -------------------------------------------------------------------------

    def _exists(self) -> bool:
        key = self._key()
        return bool(self._call(lambda client: client.exists(key)))

    def _load(self) -> tuple[dict[str, Any], datetime.datetime] | None:
        key = self._key()
        raw: Any = self._call(lambda client: client.get(key))
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
        key = self._key()
        self._call(lambda client: client.set(key, payload, px=ttl_ms))

    def _delete(self) -> None:
        key = self._key()
        self._call(lambda client: client.delete(key))

    def clean_up(self) -> None:
        """Nothing to do: Redis drops expired sessions through their TTL."""

    def __len__(self) -> int:
        """The number of stored sessions (CherryPy's meaning of ``len(session)``)."""
        start = len(self.prefix)

        def count(client: redis.Redis) -> int:
            return sum(
                1
                for key in client.scan_iter(match=f"{self.prefix}*", count=500)
                if self.is_valid_id(_text(key)[start:])
            )

        return self._call(count)

    # -- locking ---------------------------------------------------------------------

    def _lock_ttl_ms(self) -> int:
        ttl = lock_timeout_seconds(self.lock_ttl, "lock_ttl")
        if ttl is None:
            ttl = _DEFAULT_LOCK_TTL if self.lock_renewal else self.lock_timeout
        return max(1, int((ttl if ttl is not None else _UNRENEWED_LOCK_TTL) * 1000))

    def acquire_lock(self) -> None:
        """Take the session's lock key, waiting at most ``lock_timeout`` seconds."""
        if self.locked:
            return
        token = secrets.token_hex(16)
        key, ttl_ms, timeout = self._key("lock:"), self._lock_ttl_ms(), self.lock_timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = _FIRST_DELAY
        sent = False

        def take(client: redis.Redis) -> Any:
            nonlocal sent
            sent = True
            return client.set(key, token, nx=True, px=ttl_ms)

        # One call per attempt: a request waiting for the lock holds no slot.
        while True:
            try:
                taken = self._call(take)
            except HTTPError:
                if sent:
                    # A stalled Redis may still run the command when it resumes.
                    _leases.abandon(self.client, key, token)
                raise
            if taken:
                break
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SessionLockTimeout(timeout)
                delay = min(delay, remaining)
            time.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY)
        self._token = token
        self.locked = True
        if self.lock_renewal:
            _leases.hold(self.client, key, token, ttl_ms)
        self._debug("Lock acquired.")

    def release_lock(self) -> None:
        """Delete the lock key if it is still ours."""
        token = self._token
        self.locked = False
        self._token = None
        if token is None:
            return
        key = self._key("lock:")
        if self._failed:
            # Redis is out: the lock is released once it answers again (or expires).
            _leases.abandon(self.client, key, token)
            return
        _leases.drop(self.client, key)

        def release(client: redis.Redis) -> Any:
            script = type(self)._script
            if script is None:
                script = type(self)._script = client.register_script(_RELEASE)
            return script(keys=[key], args=[token], client=client)

        try:
            self._call(release)
        except HTTPError:
            _leases.abandon(self.client, key, token)
            raise
        self._debug("Lock released.")
