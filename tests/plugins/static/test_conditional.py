"""Last-Modified with If-Modified-Since (304) and If-Unmodified-Since (412)."""

from __future__ import annotations

import io

import pytest

import cherrypit
from cherrypit.lib import static

EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


@pytest.fixture
def client(mount, tree):
    digits = str(tree / "static" / "digits.txt")

    class Root:
        @cherrypit.expose
        def file(self):
            return static.serve_file(digits)

        @cherrypit.expose
        def fileobj(self):
            return static.serve_fileobj(open(digits, "rb"), "text/plain")

        @cherrypit.expose
        def memory(self):
            return static.serve_fileobj(io.BytesIO(b"abc"), "text/plain")

    conf = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tree / "static")}}
    return mount(Root(), conf)


@pytest.mark.parametrize("path", ["/file", "/fileobj", "/static/digits.txt"])
def test_if_modified_since(client, digits, path):
    last_modified = client.get(path).header("Last-Modified")
    r = client.get(path, headers={"If-Modified-Since": last_modified})
    assert (r.status, r.body) == (304, b"")
    for name in ("Content-Type", "Content-Length", "Last-Modified", "Content-Range"):
        assert r.header(name) is None
    r = client.head(path, headers={"If-Modified-Since": last_modified})
    assert r.status == 304
    r = client.get(path, headers={"If-Modified-Since": EPOCH})
    assert (r.status, r.body) == (200, digits)


@pytest.mark.parametrize("path", ["/file", "/static/digits.txt"])
def test_if_unmodified_since(client, digits, path):
    last_modified = client.get(path).header("Last-Modified")
    r = client.get(path, headers={"If-Unmodified-Since": EPOCH})
    assert r.status == 412
    r = client.get(path, headers={"If-Unmodified-Since": last_modified})
    assert (r.status, r.body) == (200, digits)


def test_other_methods(client, digits):
    last_modified = client.get("/file").header("Last-Modified")
    r = client.post("/file", body=b"", headers={"If-Modified-Since": EPOCH})
    assert (r.status, r.body) == (200, digits)
    r = client.post("/file", body=b"", headers={"If-Modified-Since": last_modified})
    assert r.status == 412


def test_conditions_come_before_ranges(client):
    last_modified = client.get("/file").header("Last-Modified")
    headers = {"If-Modified-Since": last_modified, "Range": "bytes=0-1"}
    assert client.get("/file", headers=headers).status == 304
    headers = {"If-Unmodified-Since": EPOCH, "Range": "bytes=5000-"}
    assert client.get("/file", headers=headers).status == 412


def test_no_last_modified_no_conditions(client):
    r = client.get("/memory", headers={"If-Modified-Since": EPOCH, "If-Unmodified-Since": EPOCH})
    assert (r.status, r.body) == (200, b"abc")
    assert r.header("Last-Modified") is None
