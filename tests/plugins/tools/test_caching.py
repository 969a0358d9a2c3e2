"""tools.caching: hits and misses, Vary, Age, Cache-Control, invalidation, stampedes."""

from __future__ import annotations

import logging
import threading
import time

import pytest

import cherrypit
from cherrypit.lib import caching as compat
from cherrypit.testing import Client, config_warnings
from cherrypit_tools import caching
from cherrypit_tools.cache_store import CachedResponse, MemoryCache, registry

CALLS: dict[str, int] = {}


def count(name: str) -> int:
    CALLS[name] = CALLS.get(name, 0) + 1
    return CALLS[name]


class Root:
    @cherrypit.expose
    def index(self):
        return f"index #{count('index')}"

    @cherrypit.expose
    def lang(self):
        cherrypit.response.headers["Vary"] = "Accept-Language, Accept"
        wanted = cherrypit.request.headers.get("Accept-Language", "-")
        return f"lang {wanted} #{count('lang')}"

    @cherrypit.expose
    def dated(self):
        cherrypit.response.headers["Last-Modified"] = "Tue, 01 Jan 2030 00:00:00 GMT"
        return f"dated #{count('dated')}"

    @cherrypit.expose
    def headers(self, value=""):
        cherrypit.response.headers["Cache-Control"] = value
        return f"headers {value} #{count('headers:' + value)}"

    @cherrypit.expose
    def status(self, code="200"):
        n = count("status" + code)
        if code != "200":
            raise cherrypit.HTTPError(int(code), f"failure #{n}")
        return f"ok #{n}"

    @cherrypit.expose
    def big(self):
        return "x" * 2000 + f"#{count('big')}"

    @cherrypit.expose
    def empty(self):
        count("empty")
        return ""

    @cherrypit.expose
    def stream(self):
        cherrypit.response.stream = True
        n = count("stream")

        def chunks():
            yield "part one, "
            yield f"part two #{n}"

        return chunks()

    @cherrypit.expose
    def broken(self):
        count("broken")
        raise RuntimeError("no")

    @cherrypit.expose
    def compressed(self):
        return "zip " * 200 + f"#{count('compressed')}"


@pytest.fixture
def client(mount):
    CALLS.clear()
    return mount(
        Root(),
        {
            "/": {"tools.caching.on": True},
            "/big": {"tools.caching.maxobj_size": 1000},
            "/compressed": {"tools.gzip.on": True},
        },
    )


def the_cache() -> MemoryCache:
    (cache,) = [
        c for c in registry.caches() if isinstance(c, MemoryCache) and c.maxobj_size != 1000
    ]
    return cache


def test_second_request_is_served_from_the_cache(client):
    first = client.get("/")
    assert (first.text, first.header("Age")) == ("index #1", None)
    second = client.get("/")
    assert second.text == "index #1"
    assert second.header("Age") == "0"
    assert second.header("Content-Length") == str(len(b"index #1"))
    assert second.header("Content-Type") == "text/html;charset=utf-8"
    cache = the_cache()
    assert (cache.tot_puts, cache.tot_hist, cache.tot_gets) == (1, 1, 2)


def test_query_strings_are_separate_resources(client):
    assert client.get("/headers?value=").text == "headers  #1"
    assert client.get("/headers?value=").text == "headers  #1"
    assert client.get("/headers?value=public").text == "headers public #1"
    assert client.get("/headers?value=public").text == "headers public #1"


def test_age_reflects_the_copys_age(client):
    client.get("/")
    cache = the_cache()
    uricache = cache.store["http://127.0.0.1:8080/"]
    ((key, entry),) = uricache.variants()
    status, headers, body, created = entry
    uricache[key] = CachedResponse(status, headers, body, created - 100, entry.expires)
    r = client.get("/")
    assert (r.text, r.header("Age")) == ("index #1", "100")
    # A client that wants something younger gets a fresh response.
    r = client.get("/", headers={"Cache-Control": "max-age=50"})
    assert (r.text, r.header("Age")) == ("index #2", None)


def test_vary_selects_variants(client):
    assert client.get("/lang", headers={"Accept-Language": "de"}).text == "lang de #1"
    assert client.get("/lang", headers={"Accept-Language": "fr"}).text == "lang fr #2"
    assert client.get("/lang", headers={"Accept-Language": "de"}).text == "lang de #1"
    assert client.get("/lang", headers={"Accept-Language": "fr"}).text == "lang fr #2"
    # The values are matched header by header, not as a sorted bag.
    swapped = client.get("/lang", headers={"Accept-Language": "*/*", "Accept": "de"})
    assert swapped.text == "lang */* #3"
    assert client.get("/lang", headers={"Accept-Language": "de"}).header("Vary") == (
        "Accept-Language, Accept"
    )


def test_unsafe_methods_invalidate(client):
    client.get("/")
    assert client.get("/").text == "index #1"
    assert client.post("/", body=b"").text == "index #2"
    assert client.get("/").text == "index #3"
    assert client.get("/").text == "index #3"


def test_request_no_cache_bypasses(client):
    client.get("/")
    assert client.get("/", headers={"Pragma": "no-cache"}).text == "index #2"
    assert client.get("/", headers={"Cache-Control": "no-cache"}).text == "index #3"
    assert client.get("/").text == "index #3"  # the fresh response replaced the old one


def test_request_no_store_is_not_kept(client):
    assert client.get("/", headers={"Cache-Control": "no-store"}).text == "index #1"
    assert client.get("/").text == "index #2"
    assert client.get("/").text == "index #2"


def test_invalid_max_age_is_400(client):
    client.get("/")
    assert client.get("/", headers={"Cache-Control": "max-age=soon"}).status == 400


def test_if_modified_since_gets_304(client):
    client.get("/dated")
    r = client.get("/dated", headers={"If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT"})
    assert (r.status, r.body) == (304, b"")
    assert the_cache().tot_non_modified == 1
    assert client.get("/dated").text == "dated #1"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("no-store", False),
        ("private", False),
        ("no-cache", False),
        ("max-age=0", False),
        ("public, max-age=60", True),
        ("", True),
    ],
)
def test_response_cache_control(client, value, stored):
    client.get("/headers", query={"value": value})
    again = client.get("/headers", query={"value": value}).text
    assert again == f"headers {value} #{1 if stored else 2}"


def test_response_max_age_shortens_the_stay(client):
    client.get("/headers", query={"value": "max-age=5"})
    cache = the_cache()
    assert cache.expire_cache(now=time.time() + 3) == 0
    assert client.get("/headers", query={"value": "max-age=5"}).text == "headers max-age=5 #1"
    assert cache.expire_cache(now=time.time() + 6) == 1
    assert client.get("/headers", query={"value": "max-age=5"}).text == "headers max-age=5 #2"


def test_strict_false_restores_cherrypys_rules(mount):
    CALLS.clear()
    client = mount(Root(), {"/": {"tools.caching.on": True, "tools.caching.strict": False}})
    client.get("/headers", query={"value": "private"})
    assert client.get("/headers", query={"value": "private"}).text == "headers private #1"
    client.get("/status", query={"code": "503"})
    assert "failure #1" in client.get("/status", query={"code": "503"}).text


def test_error_statuses(client):
    client.get("/status", query={"code": "404"})
    assert "failure #1" in client.get("/status", query={"code": "404"}).text  # cacheable
    client.get("/status", query={"code": "503"})
    assert "failure #2" in client.get("/status", query={"code": "503"}).text  # not stored
    assert client.get("/broken").status == 500
    assert client.get("/broken").status == 500
    assert CALLS["broken"] == 2


def test_authorized_requests_are_not_shared(client):
    auth = {"Authorization": "Basic YWxpY2U6eA=="}
    assert client.get("/", headers=auth).text == "index #1"
    assert client.get("/").text == "index #2"
    public = {"value": "public"}
    client.get("/headers", query=public, headers=auth)
    assert client.get("/headers", query=public).text == "headers public #1"


def test_size_limits(client):
    assert client.get("/big").text.endswith("#1")
    assert client.get("/big").text.endswith("#2")  # larger than maxobj_size


def test_empty_bodies_are_not_kept(client):
    client.get("/empty")
    client.get("/empty")
    assert CALLS["empty"] == 2


def test_streamed_response_is_cached_after_it_is_sent(client):
    assert client.get("/stream").text == "part one, part two #1"
    assert client.get("/stream").text == "part one, part two #1"


def test_gzipped_variants_follow_accept_encoding(client):
    zipped = client.get("/compressed", headers={"Accept-Encoding": "gzip"})
    assert zipped.header("Content-Encoding") == "gzip"
    plain = client.get("/compressed")
    assert plain.header("Content-Encoding") is None
    assert plain.text.endswith("#2")
    again = client.get("/compressed", headers={"Accept-Encoding": "gzip"})
    assert (again.header("Content-Encoding"), again.header("Age")) == ("gzip", "0")
    assert again.body == zipped.body


def test_expiry_sweep_and_delay(mount):
    CALLS.clear()
    client = mount(Root(), {"/": {"tools.caching.on": True, "tools.caching.delay": 30}})
    client.get("/")
    (cache,) = registry.caches()
    assert cache.delay == 30
    assert (cache.objects, cache.cursize) == (1, len(b"index #1"))
    registry.sweep()
    assert cache.objects == 1
    assert cache.expire_cache(now=time.time() + 31) == 1
    assert (cache.objects, cache.cursize, cache.tot_expires) == (0, 0, 1)
    assert client.get("/").text == "index #2"


def test_expired_copy_is_not_served_even_without_a_sweep(mount):
    CALLS.clear()
    client = mount(Root(), {"/": {"tools.caching.on": True}})
    client.get("/")
    (cache,) = registry.caches()
    uricache = cache.store["http://127.0.0.1:8080/"]
    ((key, entry),) = uricache.variants()
    status, headers, body, created = entry
    uricache[key] = CachedResponse(status, headers, body, created, expires=time.time() - 1)
    assert client.get("/").text == "index #2"


def test_same_config_shares_a_cache_across_plan_rebuilds(mount):
    CALLS.clear()
    client = mount(Root(), {"/": {"tools.caching.on": True}})
    client.get("/")
    cherrypit.config.update({"some.setting": 1})  # plans are rebuilt
    assert client.get("/").text == "index #1"
    assert len(registry.caches()) == 1


class _WaitSignal(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "Waiting up to" in record.getMessage():
            self.waiting.set()


class Slow:
    def __init__(self) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    @cherrypit.expose
    def index(self):
        self.calls += 1
        n = self.calls
        self.entered.set()
        assert self.release.wait(10)
        return f"computed #{n}"


def _stampede(mount, timeout):
    slow = Slow()
    mount(
        slow,
        {
            "/": {
                "tools.caching.on": True,
                "tools.caching.debug": True,
                "tools.caching.antistampede_timeout": timeout,
            }
        },
    )
    results: dict[str, str] = {}

    def fetch(name: str) -> None:
        results[name] = Client().get("/").text

    signal = _WaitSignal()
    logging.getLogger("cherrypy.error").addHandler(signal)
    first = threading.Thread(target=fetch, args=("first",))
    second = threading.Thread(target=fetch, args=("second",))
    first.start()
    assert slow.entered.wait(10)
    slow.entered.clear()
    second.start()
    return slow, results, signal, (first, second)


def _finish(slow, signal, threads):
    slow.release.set()
    for thread in threads:
        thread.join(10)
    logging.getLogger("cherrypy.error").removeHandler(signal)


def test_stampede_waits_for_the_first_computation(mount):
    slow, results, signal, threads = _stampede(mount, 10)
    try:
        assert signal.waiting.wait(10), "the second request did not wait"
    finally:
        _finish(slow, signal, threads)
    assert results == {"first": "computed #1", "second": "computed #1"}
    assert slow.calls == 1


def test_stampede_guard_holds_when_the_response_names_vary_headers(mount):
    # The waiters looked the resource up before the first response said which
    # request headers select a variant (Vary): they must find it under its real key
    # rather than compute it again one after another.
    slow = Slow()
    mount(
        slow,
        {
            "/": {
                "tools.caching.on": True,
                "tools.caching.debug": True,
                "tools.response_headers.on": True,
                "tools.response_headers.headers": [("Vary", "Accept-Language")],
            }
        },
    )
    results: list[str] = []
    lock = threading.Lock()

    def fetch() -> None:
        text = Client().get("/", headers={"Accept-Language": "en"}).text
        with lock:
            results.append(text)

    signal = _WaitSignal()
    logging.getLogger("cherrypy.error").addHandler(signal)
    first = threading.Thread(target=fetch)
    others = [threading.Thread(target=fetch) for _ in range(4)]
    try:
        first.start()
        assert slow.entered.wait(10)
        for thread in others:
            thread.start()
        assert signal.waiting.wait(10), "no request waited"
    finally:
        _finish(slow, signal, [first, *others])
    assert results == ["computed #1"] * 5
    assert slow.calls == 1


def test_no_antistampede_timeout_computes_in_parallel(mount):
    slow, results, signal, threads = _stampede(mount, None)
    try:
        assert slow.entered.wait(10)  # the second request runs the handler too
    finally:
        _finish(slow, signal, threads)
    assert not signal.waiting.is_set()
    assert slow.calls == 2
    assert sorted(results.values()) == ["computed #1", "computed #2"]


def test_a_failed_computation_frees_the_slot(mount):
    calls = []

    class Flaky:
        @cherrypit.expose
        def index(self):
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("first try fails")
            return "fine"

    client = mount(Flaky(), {"/": {"tools.caching.on": True}})
    assert client.get("/").status == 500
    (cache,) = registry.caches()
    assert [v for v in cache.store["http://127.0.0.1:8080/"].values()] == []
    assert client.get("/").text == "fine"
    assert client.get("/").text == "fine"
    assert len(calls) == 2


def test_custom_cache_class_by_name(mount):
    client = mount(
        Root(),
        {"/": {"tools.caching.on": True, "tools.caching.cache_class": f"{__name__}.CountingCache"}},
    )
    CALLS.clear()
    client.get("/")
    assert client.get("/").text == "index #1"
    (cache,) = registry.caches()
    assert isinstance(cache, CountingCache) and cache.puts == 1


class CountingCache(MemoryCache):
    puts = 0

    def put(self, variant, size):
        self.puts += 1
        super().put(variant, size)


def test_monitor_is_on_the_engine_once_a_cache_exists(mount):
    mount(Root())
    cherrypit.tools.caching  # noqa: B018 - loads the plugins
    # Sites that never cache run no sweeping thread.
    assert registry.monitor is None
    registry.cache_for(MemoryCache, {})
    assert registry.monitor is not None
    assert registry.monitor.callback == registry.sweep
    assert registry.monitor in [
        getattr(listener, "__self__", None) for listener in cherrypit.engine.listeners["start"]
    ]


def test_compat_names(site_reset):
    assert compat.MemoryCache is MemoryCache
    assert compat.get is caching.get
    assert compat.tee_output is caching.tee_output
    assert compat.expires is caching.expires
    assert cherrypit._cptools.CachingTool is caching.CachingTool
    tool = cherrypit.tools.caching
    ((point, _, priority, kwargs),) = tool._attachments({})
    assert (point, priority) == ("before_handler", 90)
    assert kwargs["invalid_methods"] == ("POST", "PUT", "DELETE")


def test_head_and_get_share_the_copy(client):
    # The handler produces the whole body for HEAD too; the server just does not send it.
    r = client.head("/")
    assert (r.status, r.body) == (200, b"")
    assert client.get("/").text == "index #1"
    head = client.head("/")
    assert (head.status, head.body, head.header("Age")) == (200, b"", "0")
    assert head.header("Content-Length") == str(len(b"index #1"))


def test_unknown_setting_is_set_on_the_cache_with_a_warning(mount, capsys):
    # CherryPy sets every tools.caching.<name> as an attribute of the cache.
    client = mount(Root(), {"/": {"tools.caching.on": True, "tools.caching.dealy": 5}})
    assert client.get("/").status == 200
    assert any(
        "tools.caching.dealy: not a setting of tools.caching (did you mean 'delay'?)" in w
        for w in config_warnings()
    )


@pytest.mark.parametrize("value", ["max-age=²", "max-age=¹0", "max-age=+5", "max-age=-1"])
def test_max_age_with_other_than_ascii_digits_is_400(client, error_log, value):
    client.get("/")
    r = client.get("/", headers={"Cache-Control": value})
    assert r.status == 400
    assert "Invalid Cache-Control header" in r.text
    assert "Traceback" not in error_log.text()


def test_huge_max_age_accepts_any_age(client, error_log):
    client.get("/")
    uricache = the_cache().store["http://127.0.0.1:8080/"]
    ((key, entry),) = uricache.variants()
    status, headers, body, created = entry
    uricache[key] = CachedResponse(status, headers, body, created - 10**6, entry.expires)
    r = client.get("/", headers={"Cache-Control": "max-age=" + "9" * 5000})
    assert (r.status, r.text, r.header("Age")) == (200, "index #1", "1000000")
    # Leading zeros do not make a small number huge.
    r = client.get("/", headers={"Cache-Control": "max-age=" + "0" * 40 + "50"})
    assert (r.status, r.text) == (200, "index #2")
    assert "Traceback" not in error_log.text()


@pytest.mark.parametrize(
    ("value", "stored"), [("max-age=²", False), ("max-age=" + "9" * 5000, True)]
)
def test_response_max_age_is_read_safely(client, error_log, value, stored):
    first = client.get("/headers", query={"value": value})
    assert first.status == 200
    again = client.get("/headers", query={"value": value}).text
    assert again == f"headers {value} #{1 if stored else 2}"
    assert "Traceback" not in error_log.text()
