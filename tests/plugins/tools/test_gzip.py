"""tools.gzip: negotiation, media types, Vary, streaming, and its helpers."""

from __future__ import annotations

import gzip as gzip_module
import io
import time

import pytest

import cherrypit
from cherrypit_tools.encoding import compress, decompress

TEXT = "Grüße aus Köln. " * 50
GZ = {"Accept-Encoding": "gzip"}


class Root:
    @cherrypit.expose
    def index(self):
        return TEXT

    @cherrypit.expose
    def data(self):
        cherrypit.response.headers["Content-Type"] = "application/json"
        return b'{"k": "' + b"v" * 200 + b'"}'

    @cherrypit.expose
    def atom(self):
        cherrypit.response.headers["Content-Type"] = "application/atom+xml"
        return b"<feed/>" * 40

    @cherrypit.expose
    def empty(self):
        return ""

    @cherrypit.expose
    def precompressed(self):
        cherrypit.response.headers["Content-Encoding"] = "gzip"
        cherrypit.response.headers["Content-Type"] = "text/plain"
        return gzip_module.compress(b"already")

    @cherrypit.expose
    def streamed(self):
        cherrypit.response.stream = True

        def chunks():
            for i in range(5):
                yield f"line {i}\n"

        return chunks()


@pytest.fixture
def client(mount):
    return mount(
        Root(),
        {
            "/": {"tools.gzip.on": True},
            "/data": {"tools.gzip.mime_types": ["text/*", "application/json"]},
            "/atom": {"tools.gzip.mime_types": ["application/*+xml"]},
        },
    )


def test_gzips_text_when_accepted(client):
    r = client.get("/", headers=GZ)
    assert r.status == 200
    assert r.header("Content-Encoding") == "gzip"
    assert r.header("Vary") == "Accept-Encoding"
    assert r.header("Content-Length") == str(len(r.body))
    assert r.header("Content-Type") == "text/html;charset=utf-8"
    assert decompress(r.body) == TEXT.encode("utf-8")


@pytest.mark.parametrize("accept", ["x-gzip", "gzip, deflate, br", "deflate;q=0.5, gzip"])
def test_gzip_spellings(client, accept):
    r = client.get("/", headers={"Accept-Encoding": accept})
    assert r.header("Content-Encoding") == "gzip"
    assert decompress(r.body) == TEXT.encode("utf-8")


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0", "identity, gzip;q=0.5"])
def test_not_compressed(client, accept):
    headers = {"Accept-Encoding": accept} if accept else {}
    r = client.get("/", headers=headers)
    assert r.status == 200
    assert r.header("Content-Encoding") is None
    assert r.header("Vary") == "Accept-Encoding"
    assert r.body == TEXT.encode("utf-8")


@pytest.mark.parametrize("accept", ["deflate", "*", "identity;q=0, deflate", "*;q=0"])
def test_nothing_acceptable_is_406(client, accept):
    r = client.get("/", headers={"Accept-Encoding": accept})
    assert r.status == 406
    assert "identity, gzip" in r.text


def test_media_types_and_wildcards(mount):
    client = mount(Root(), {"/": {"tools.gzip.on": True}})
    assert client.get("/data", headers=GZ).header("Content-Encoding") is None
    client = mount(
        Root(),
        {
            "/data": {
                "tools.gzip.on": True,
                "tools.gzip.mime_types": ["text/*", "application/json"],
            },
            "/atom": {"tools.gzip.on": True, "tools.gzip.mime_types": ["application/*+xml"]},
        },
    )
    r = client.get("/data", headers=GZ)
    assert r.header("Content-Encoding") == "gzip"
    assert decompress(r.body).startswith(b'{"k": "vvv')
    r = client.get("/atom", headers=GZ)
    assert r.header("Content-Encoding") == "gzip"
    assert decompress(r.body) == b"<feed/>" * 40


def test_empty_body_is_not_compressed(client):
    r = client.get("/empty", headers=GZ)
    assert (r.status, r.body) == (200, b"")
    assert r.header("Content-Encoding") is None
    assert r.header("Vary") == "Accept-Encoding"


def test_never_compresses_twice(client):
    r = client.get("/precompressed", headers=GZ)
    assert r.header("Content-Encoding") == "gzip"
    assert decompress(r.body) == b"already"


def test_streamed_body_is_compressed_on_the_fly(client):
    r = client.get("/streamed", headers=GZ)
    assert r.header("Content-Encoding") == "gzip"
    assert r.header("Content-Length") is None
    assert decompress(r.body) == b"".join(f"line {i}\n".encode() for i in range(5))


def test_error_pages_are_compressed_too(client):
    r = client.get("/nowhere", headers=GZ)
    assert r.status == 404
    assert r.header("Content-Encoding") == "gzip"
    assert b"/nowhere" in decompress(r.body)


def test_head_announces_the_compressed_length(client):
    full = client.get("/", headers=GZ)
    r = client.head("/", headers=GZ)
    assert r.body == b""
    assert r.header("Content-Encoding") == "gzip"
    assert r.header("Content-Length") == full.header("Content-Length")


def test_existing_vary_is_extended(mount):
    class VaryRoot:
        @cherrypit.expose
        def index(self):
            cherrypit.response.headers["Vary"] = "Cookie"
            return "x"

    r = mount(VaryRoot(), {"/": {"tools.gzip.on": True}}).get("/")
    assert r.header("Vary") == "Cookie, Accept-Encoding"


def test_compress_helper_levels_and_sync_flush():
    data = [b"abc" * 1000, b"def" * 1000]
    fast = b"".join(compress(iter(data), 1))
    best = b"".join(compress(iter(data), 9))
    assert decompress(fast) == decompress(best) == b"".join(data)
    assert gzip_module.decompress(fast) == b"".join(data)
    pieces = list(compress(iter(data), 5, sync_flush=True))
    # A sync flush after every chunk: each input chunk yields output at once.
    assert len(pieces) == 3
    assert decompress(b"".join(pieces)) == b"".join(data)


@pytest.mark.parametrize("level", [1, 6, 9])
def test_compressed_stream_is_byte_identical_to_the_gzip_module(level):
    # Same header fields as Python's gzip module and CherryPy (mtime, XFL, OS 255),
    # so clients and tests comparing against gzip.GzipFile output see the same bytes.
    data = b"Hello, world \xe2\x82\xac" * 40
    before = int(time.time())
    ours = b"".join(compress(iter([data[:100], data[100:]]), level))
    after = int(time.time())
    buf = io.BytesIO()
    with gzip_module.GzipFile(mode="wb", fileobj=buf, compresslevel=level, mtime=0) as f:
        f.write(data)
    theirs = buf.getvalue()
    # The modification time (bytes 4-8) is "now"; everything else is the same.
    assert before <= int.from_bytes(ours[4:8], "little") <= after
    assert ours[:4] + ours[8:] == theirs[:4] + theirs[8:]
    assert ours[9] == 255


class SmallRoot:
    @cherrypit.expose
    def small(self):
        return "s" * 199

    @cherrypit.expose
    def enough(self):
        return "e" * 200

    @cherrypit.expose
    def declared(self):
        cherrypit.response.headers["Content-Length"] = "10"
        return "d" * 10

    @cherrypit.expose
    def streamed(self):
        cherrypit.response.stream = True
        return iter(["tiny"])


def test_min_size(mount):
    client = mount(SmallRoot(), {"/": {"tools.gzip.on": True, "tools.gzip.min_size": 200}})
    small = client.get("/small", headers=GZ)
    assert (small.header("Content-Encoding"), small.body) == (None, b"s" * 199)
    assert small.header("Vary") == "Accept-Encoding"
    assert client.get("/enough", headers=GZ).header("Content-Encoding") == "gzip"
    assert client.get("/declared", headers=GZ).header("Content-Encoding") is None
    # A streamed body's size is unknown: it is compressed whatever its size.
    streamed = client.get("/streamed", headers=GZ)
    assert streamed.header("Content-Encoding") == "gzip"
    assert decompress(streamed.body) == b"tiny"


def test_no_min_size_by_default_as_cherrypy(mount):
    client = mount(SmallRoot(), {"/": {"tools.gzip.on": True}})
    r = client.get("/small", headers=GZ)
    assert r.header("Content-Encoding") == "gzip"
    assert decompress(r.body) == b"s" * 199
