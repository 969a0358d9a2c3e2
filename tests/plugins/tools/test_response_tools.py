"""Tools that shape the response: response_headers, expires, flatten, etags, autovary."""

from __future__ import annotations

import datetime

import cherrypit
from cherrypit.lib import cptools
from cherrypit.lib.httputil import HTTPDate, parse_http_date

LAST_MODIFIED = "Tue, 01 Jan 2030 00:00:00 GMT"


def seconds(response, header):
    value = parse_http_date(response.header(header))
    assert value is not None, header
    return value


class Root:
    @cherrypit.expose
    def index(self):
        return "index"

    @cherrypit.expose
    def boom(self):
        raise ValueError("boom")

    @cherrypit.expose
    def streamed(self):
        cherrypit.response.stream = True
        return iter(["a", "b"])

    @cherrypit.expose
    def tagged(self):
        cherrypit.response.headers["ETag"] = '"v1"'
        return "tagged"

    @cherrypit.expose
    def nested(self):
        def inner(n):
            yield f"<{n}>"
            if n:
                yield inner(n - 1)
            yield f"</{n}>"

        return inner(2)

    @cherrypit.expose
    def dated(self):
        cherrypit.response.headers["Last-Modified"] = LAST_MODIFIED
        cptools.validate_since()
        return "dated"

    @cherrypit.expose
    def reads(self):
        cherrypit.request.headers.get("Accept-Language")
        "X-Token" in cherrypit.request.headers  # noqa: B015 - a read that counts
        return "reads"

    @cherrypit.expose
    def missing(self):
        raise cherrypit.NotFound()


# ------------------------------------------------------------- response_headers


def test_response_headers(mount):
    headers = [("X-Frame-Options", "DENY"), ("Cache-Control", "private")]
    client = mount(
        Root(),
        {"/": {"tools.response_headers.on": True, "tools.response_headers.headers": headers}},
    )
    r = client.get("/")
    assert r.header("X-Frame-Options") == "DENY"
    assert r.header("Cache-Control") == "private"
    # Set at on_start_resource: also there on a 404 and when the handler fails.
    assert client.get("/missing").header("X-Frame-Options") == "DENY"
    assert client.get("/boom").header("X-Frame-Options") == "DENY"


def test_response_headers_is_failsafe():
    assert getattr(cptools.response_headers, "failsafe", False) is True


# ---------------------------------------------------------------------- expires


def test_expires_needs_a_cache_hint_unless_forced(mount):
    client = mount(Root(), {"/": {"tools.expires.on": True, "tools.expires.secs": 60}})
    assert client.get("/").header("Expires") is None
    r = client.get("/tagged")
    assert r.header("Pragma") is None
    assert seconds(r, "Expires") > seconds(r, "Date")


def test_expires_zero_forbids_caching(mount):
    client = mount(Root(), {"/": {"tools.expires.on": True, "tools.expires.force": True}})
    r = client.get("/")
    assert r.header("Pragma") == "no-cache"
    assert r.header("Cache-Control") == "no-cache, must-revalidate"
    assert r.header("Expires") == HTTPDate(1169942400.0)
    # HTTP/1.0 clients get no Cache-Control.
    r = client.get("/", protocol="HTTP/1.0")
    assert r.header("Cache-Control") is None
    assert r.header("Pragma") == "no-cache"


def test_expires_timedelta(mount):
    delta = datetime.timedelta(days=1, seconds=5)
    client = mount(
        Root(),
        {"/": {"tools.expires.on": True, "tools.expires.force": True, "tools.expires.secs": delta}},
    )
    r = client.get("/")
    gap = seconds(r, "Expires") - seconds(r, "Date")
    assert 86404 <= gap <= 86406
    assert r.header("Pragma") is None


# ---------------------------------------------------------------------- flatten


def test_flatten_nested_generators(mount):
    client = mount(Root(), {"/": {"tools.flatten.on": True}})
    assert client.get("/nested").body == b"<2><1><0></0></1></2>"
    assert client.get("/").body == b"index"


# ------------------------------------------------------------------------ etags


def test_autotags_and_if_none_match(mount):
    client = mount(Root(), {"/": {"tools.etags.on": True, "tools.etags.autotags": True}})
    r = client.get("/")
    etag = r.header("ETag")
    assert etag and etag.startswith('"') and etag.endswith('"')
    r = client.get("/", headers={"If-None-Match": etag})
    assert (r.status, r.body) == (304, b"")
    assert client.get("/", headers={"If-None-Match": '"other"'}).status == 200
    r = client.post("/", body="", headers={"If-None-Match": etag})
    assert r.status == 412
    assert client.get("/", headers={"If-None-Match": "*"}).status == 304


def test_if_match(mount):
    client = mount(Root(), {"/": {"tools.etags.on": True}})
    assert client.get("/tagged", headers={"If-Match": '"v1"'}).status == 200
    assert client.get("/tagged", headers={"If-Match": "*"}).status == 200
    r = client.get("/tagged", headers={"If-Match": '"v0"'})
    assert r.status == 412
    assert "If-Match failed" in r.text


def test_etags_without_autotags_set_nothing(mount):
    client = mount(Root(), {"/": {"tools.etags.on": True}})
    assert client.get("/").header("ETag") is None
    # Errors are not 2xx: no conditions apply and no tag is made.
    r = client.get("/missing", headers={"If-Match": '"x"'})
    assert r.status == 404


def test_validate_since(mount):
    client = mount(Root())
    assert client.get("/dated").status == 200
    r = client.get("/dated", headers={"If-Modified-Since": LAST_MODIFIED})
    assert (r.status, r.body) == (304, b"")
    assert (
        client.get(
            "/dated", headers={"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
        ).status
        == 412
    )
    r = client.post("/dated", body="", headers={"If-Modified-Since": LAST_MODIFIED})
    assert r.status == 412


# --------------------------------------------------------------------- autovary


def test_autovary_names_read_headers(mount):
    client = mount(Root(), {"/": {"tools.autovary.on": True}})
    r = client.get("/reads", headers={"Accept-Language": "fr"})
    # tools.encode reads Accept-Charset; the handler read the other two.
    assert r.header("Vary") == "Accept-Charset, Accept-Language, X-Token"


def test_autovary_merges_and_ignores(mount):
    client = mount(
        Root(),
        {
            "/": {
                "tools.autovary.on": True,
                "tools.autovary.ignore": ["Accept-Charset"],
                "tools.gzip.on": True,
            }
        },
    )
    r = client.get("/reads")
    assert r.header("Vary") == "Accept-Encoding, Accept-Language, X-Token"


def test_autovary_function_attaches_at_run_time(mount):
    class Late:
        @cherrypit.expose
        def index(self):
            return "x"

    cherrypit.tools.late_vary = cherrypit.Tool("on_start_resource", cptools.autovary, priority=0)
    client = mount(Late(), {"/": {"tools.late_vary.on": True, "tools.encode.on": False}})
    r = client.get("/", headers={"Accept-Charset": "utf-8"})
    assert r.header("Vary") == ""
