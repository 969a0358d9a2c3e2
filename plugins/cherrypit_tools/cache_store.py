"""Where ``tools.caching`` keeps responses: :class:`MemoryCache` and its helpers.

A :class:`MemoryCache` maps a URL to an :class:`AntiStampedeCache`, which maps the
values of the request headers the response varies on (``Vary``) to one cached
response.  While one request computes a response, others asking for the same
variant wait for it (up to ``antistampede_timeout`` seconds) instead of computing it
too.  Expired entries are dropped lazily on lookup and by a periodic sweep
(:meth:`MemoryCache.expire_cache`), which the plugin runs on the engine through a
:class:`~cherrypit.process.plugins.Monitor` (:class:`CacheRegistry`).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import TYPE_CHECKING, Any

from cherrypit import log, url
from cherrypit.plugin import StashKey, current
from cherrypit.process.plugins import Monitor

if TYPE_CHECKING:
    from cherrypit.process.wspbus import Bus

__all__ = [
    "AntiStampedeCache",
    "Cache",
    "CacheRegistry",
    "CachedResponse",
    "MemoryCache",
    "registry",
]


class Cache:
    """The interface ``tools.caching.cache_class`` must offer.

    Each method works on the resource of the current request (``cherrypit.url()``
    with its query string), as in CherryPy.
    """

    def get(self) -> Any:
        """The cached variant for the current request, or None."""
        raise NotImplementedError

    def put(self, obj: Any, size: int) -> None:
        """Store ``obj`` (a :class:`CachedResponse`) of ``size`` bytes."""
        raise NotImplementedError

    def delete(self) -> None:
        """Drop every cached variant of the current resource."""
        raise NotImplementedError

    def clear(self) -> None:
        """Drop everything."""
        raise NotImplementedError


class CachedResponse(tuple):  # type: ignore[type-arg]
    """``(status, headers, body, create_time)``, as CherryPy stores a response.

    Also carries when it expires (``expires``) and its size in bytes (``size``).
    """

    expires: float
    size: int

    def __new__(
        cls, status: Any, headers: Any, body: bytes, create_time: float, expires: float = 0.0
    ) -> CachedResponse:
        self = super().__new__(cls, (status, headers, body, create_time))
        self.expires = expires
        self.size = len(body)
        return self


class _Pending(threading.Event):
    """Placed in a cache slot while one request computes its value."""

    def __init__(self) -> None:
        super().__init__()
        self.result: Any = None


class AntiStampedeCache(dict[Any, Any]):
    """The variants of one resource; computing a missing one is done only once.

    :meth:`wait` returns a cached value, or None after placing a marker that makes
    other callers for the same key wait (see :meth:`wait`).  Storing the value
    (``cache[key] = value``) wakes them with it.
    """

    def __init__(self) -> None:
        super().__init__()
        #: Request header names (from ``Vary``) whose values select a variant.
        self.selecting_headers: list[str] = []
        self._lock = threading.Lock()

    def wait(self, key: Any, timeout: float | None = 5, debug: bool = False) -> Any:
        """The value for ``key``; or None, and then the caller must compute it.

        If another thread is computing it, wait up to ``timeout`` seconds for it
        (``None``: do not wait, compute it too).  Whenever None is returned because
        nothing is there, a marker is left so later callers wait for this one; the
        marker is recorded on the current request so it can be released if the
        request ends without storing anything.
        """
        with self._lock:
            value = dict.get(self, key)
            if value is None:
                return self._claim(key, debug)
            if not isinstance(value, _Pending):
                return value
        if timeout is None:
            if debug:
                log("No timeout", "TOOLS.CACHING")
            return None
        if debug:
            log(f"Waiting up to {timeout} seconds", "TOOLS.CACHING")
        value.wait(timeout)
        if value.result is not None:
            if debug:
                log("Result!", "TOOLS.CACHING")
            return value.result
        if debug:
            log("Timed out", "TOOLS.CACHING")
        with self._lock:
            if dict.get(self, key) is value or dict.get(self, key) is None:
                return self._claim(key, debug)
        return None

    def _claim(self, key: Any, debug: bool) -> None:
        pending = _Pending()
        dict.__setitem__(self, key, pending)
        current().request.stash[CACHE_CLAIM] = (self, key, pending)
        return None

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            existing = dict.get(self, key)
            dict.__setitem__(self, key, value)
        if isinstance(existing, _Pending):
            existing.result = value
            existing.set()

    def release(self, key: Any, pending: Any) -> None:
        """Remove ``pending`` from ``key`` (if still there) and wake its waiters empty-handed."""
        with self._lock:
            if dict.get(self, key) is pending:
                dict.__delitem__(self, key)
        if isinstance(pending, _Pending) and not pending.is_set():
            pending.set()

    def release_all(self) -> None:
        """Wake every waiter empty-handed (the resource was dropped)."""
        for key, value in list(self.items()):
            if isinstance(value, _Pending):
                self.release(key, value)

    def variants(self) -> list[tuple[Any, CachedResponse]]:
        """The stored (key, response) pairs, markers left out."""
        return [(k, v) for k, v in list(self.items()) if not isinstance(v, _Pending)]


#: The marker a request left in a cache while it computes the response: ``(cache, key,
#: marker)``; released at the end of the request unless the response filled it.
CACHE_CLAIM: StashKey[tuple[Any, Any, Any]] = StashKey("cache claim")


def release_claim() -> None:
    """Release the marker the current request left in a cache, if it did not fill it."""
    request = current().request
    claim = request.stash.pop(CACHE_CLAIM)
    if claim is not None:
        uricache, key, pending = claim
        uricache.release(key, pending)


release_claim.failsafe = True  # type: ignore[attr-defined]


def _resource_key() -> str:
    request = current().request
    return url(qs=request.query_string, relative=False)


class MemoryCache(Cache):
    """An in-process cache of responses, by URL and ``Vary``-selected variant.

    Every attribute below can be set through ``tools.caching.<name>``.
    """

    #: Most responses kept (all variants of all resources).
    maxobjects = 1000
    #: Largest response body kept, in bytes.
    maxobj_size = 100000
    #: Most bytes kept in total.
    maxsize = 10000000
    #: Seconds a response stays fresh.
    delay: float = 600
    #: Seconds a request waits for another one computing the same response.
    antistampede_timeout: float | None = 5
    #: Seconds between expiry sweeps (run by the engine's monitor thread).
    expire_freq: float = 0.1
    debug = False

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._sequence = itertools.count()
        self._last_sweep = 0.0
        self.clear()

    def clear(self) -> None:
        """Forget every response and reset the counters."""
        with self._lock:
            old = getattr(self, "store", {})
            self.store: dict[str, AntiStampedeCache] = {}
            self.expirations: list[tuple[float, int, str, Any, CachedResponse]] = []
            self.tot_puts = 0
            self.tot_gets = 0
            self.tot_hist = 0
            self.tot_expires = 0
            self.tot_non_modified = 0
            self.cursize = 0
            self.objects = 0
        for uricache in old.values():
            uricache.release_all()

    # -- expiry ---------------------------------------------------------------------

    def _drop(self, uri: str, key: Any, variant: CachedResponse) -> None:
        # Only the very object that expired: a newer response may sit in the slot.
        uricache = self.store.get(uri)
        if uricache is not None and dict.get(uricache, key) is variant:
            dict.__delitem__(uricache, key)
            self.cursize -= variant.size
            self.objects -= 1

    def expire_cache(self, now: float | None = None) -> int:
        """Drop every response whose time is up; return how many were dropped.

        (CherryPy's method of this name looped forever in its own thread; here each
        call is one sweep.)
        """
        now = time.time() if now is None else now
        dropped = 0
        with self._lock:
            self._last_sweep = now
            heap = self.expirations
            while heap and heap[0][0] <= now:
                _, _, uri, key, variant = heapq.heappop(heap)
                uricache = self.store.get(uri)
                if uricache is not None and dict.get(uricache, key) is variant:
                    self._drop(uri, key, variant)
                    self.tot_expires += 1
                    dropped += 1
        return dropped

    def sweep_due(self, now: float) -> bool:
        """Whether ``expire_freq`` seconds passed since the last sweep."""
        return now - self._last_sweep >= self.expire_freq

    # -- the Cache interface ----------------------------------------------------------

    def get(self) -> Any:
        """The fresh cached response for the current request, or None."""
        request = current().request
        self.tot_gets += 1
        uri = _resource_key()
        with self._lock:
            uricache = self.store.get(uri)
            if uricache is None:
                uricache = self.store[uri] = AntiStampedeCache()
        for _attempt in range(3):  # Vary settles after the first response
            selecting = list(uricache.selecting_headers)
            key = tuple(request.headers.get(h, "") for h in selecting)
            variant = uricache.wait(key, timeout=self.antistampede_timeout, debug=self.debug)
            if variant is not None or uricache.selecting_headers == selecting:
                break
            # The response computed meanwhile named its Vary headers, so it was
            # stored under another key than the one waited on: look again with the
            # real key instead of computing it a second time.
            release_claim()
        if variant is None:
            return None
        if isinstance(variant, CachedResponse) and variant.expires <= time.time():
            with self._lock:
                self._drop(uri, key, variant)
                self.tot_expires += 1
            # Fetched again so that this request claims the slot for the new response.
            return uricache.wait(key, timeout=self.antistampede_timeout, debug=self.debug)
        self.tot_hist += 1
        return variant

    def put(self, variant: Any, size: int) -> None:
        """Store ``variant`` for the current request if the size limits allow it."""
        slot = current()
        request, response = slot.request, slot.response
        uri = _resource_key()
        now = time.time()
        selecting = [e.value for e in response.headers.elements("Vary")]
        if not isinstance(variant, CachedResponse):
            status, headers, body, create_time = variant
            variant = CachedResponse(status, headers, body, create_time, create_time + self.delay)
        if not variant.expires:
            variant.expires = variant[3] + self.delay
        with self._lock:
            self.expire_cache(now)
            uricache = self.store.get(uri)
            if uricache is None:
                uricache = self.store[uri] = AntiStampedeCache()
            if uricache.selecting_headers != selecting:
                # The resource varies on other headers now: its old variants are lost.
                for old_key, old in uricache.variants():
                    self._drop(uri, old_key, old)
                uricache.selecting_headers = selecting
            key = tuple(request.headers.get(h, "") for h in selecting)
            previous = dict.get(uricache, key)
            fits = (
                size < self.maxobj_size
                and self.cursize + size < self.maxsize
                and self.objects < self.maxobjects
            )
            if fits:
                if isinstance(previous, CachedResponse):
                    self._drop(uri, key, previous)
                heapq.heappush(
                    self.expirations, (variant.expires, next(self._sequence), uri, key, variant)
                )
                uricache[key] = variant
                self.tot_puts += 1
                self.cursize += size
                self.objects += 1
        release_claim()

    def delete(self) -> None:
        """Drop every variant of the current resource (and wake its waiters)."""
        uri = _resource_key()
        with self._lock:
            uricache = self.store.pop(uri, None)
            if uricache is None:
                return
            for _, variant in uricache.variants():
                self.cursize -= variant.size
                self.objects -= 1
        uricache.release_all()


class CacheRegistry:
    """The caches made by ``tools.caching``, one per distinct configuration.

    Reusing a cache for an equal configuration keeps its content when a plan is
    rebuilt (after a config change).  Once a cache exists, a monitor on the engine
    sweeps expired entries while the engine runs; sites that never cache run no
    sweeping thread.
    """

    def __init__(self) -> None:
        self._caches: dict[Any, Any] = {}
        self._lock = threading.Lock()
        self.monitor: Monitor | None = None
        self._bus: Bus | None = None

    def cache_for(self, cache_class: Any, settings: dict[str, Any]) -> Any:
        """The cache for ``cache_class`` with ``settings`` set as attributes."""
        key = (cache_class, tuple(sorted((k, repr(v)) for k, v in settings.items())))
        with self._lock:
            cache = self._caches.get(key)
            if cache is None:
                cache = cache_class()
                for name, value in settings.items():
                    setattr(cache, name, value)
                self._caches[key] = cache
                self._retune()
                self._ensure_monitor()
            return cache

    def add(self, cache: Any) -> None:
        """Sweep ``cache`` too (a cache made outside :meth:`cache_for`)."""
        with self._lock:
            self._caches[("added", id(cache))] = cache
            self._retune()
            self._ensure_monitor()

    def caches(self) -> list[Any]:
        with self._lock:
            return list(self._caches.values())

    def _retune(self) -> None:
        if self.monitor is not None:
            self.monitor.frequency = self._frequency()

    def _frequency(self) -> float:
        freqs = [
            float(c.expire_freq)
            for c in self._caches.values()
            if getattr(c, "expire_freq", 0) and c.expire_freq > 0
        ]
        return min(freqs) if freqs else 1.0

    def sweep(self) -> None:
        """One expiry pass over the caches whose ``expire_freq`` has elapsed."""
        now = time.time()
        for cache in self.caches():
            expire = getattr(cache, "expire_cache", None)
            due = getattr(cache, "sweep_due", None)
            if expire is not None and (due is None or due(now)):
                expire(now)

    def subscribe(self, bus: Bus) -> None:
        """Run :meth:`sweep` on ``bus`` while it is started (once there is a cache)."""
        self._bus = bus
        if self._caches:
            self._ensure_monitor()

    def _ensure_monitor(self) -> None:
        bus = self._bus
        if self.monitor is not None or bus is None:
            return
        self.monitor = Monitor(bus, self.sweep, self._frequency(), name="tools.caching expiry")
        self.monitor.subscribe()
        if bus.state is bus.states.STARTED:
            self.monitor.start()

    def unsubscribe(self) -> None:
        """Stop sweeping and forget every cache."""
        self._bus = None
        monitor, self.monitor = self.monitor, None
        if monitor is not None:
            if monitor.thread is not None:
                monitor.stop()
            monitor.unsubscribe()
        with self._lock:
            caches, self._caches = list(self._caches.values()), {}
        for cache in caches:
            clear = getattr(cache, "clear", None)
            if clear is not None:
                clear()


#: The plugin's registry of caches.
registry = CacheRegistry()
