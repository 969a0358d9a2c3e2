"""Large files stream in bounded reads; wsgi.file_wrapper is used; files always close."""

from __future__ import annotations

import gc
import hashlib
import os
import tracemalloc
import wsgiref.util

import pytest

import cherrypit
from cherrypit.lib import static
from cherrypit_static.bodies import CHUNK_SIZE, FileBody, MultipartBody

SIZE = 20 * 1024 * 1024


@pytest.fixture
def big(tree):
    path = tree / "static" / "big.bin"
    block = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB, not all one byte
    with open(path, "wb") as f:
        for _ in range(SIZE // len(block)):
            f.write(block)
    return path


class RecordingFile:
    """A real file that remembers the size of every read and whether it was closed."""

    def __init__(self, path):
        self._file = open(path, "rb")
        self.reads: list[int] = []
        self.closed = False

    def read(self, size=-1):
        self.reads.append(size)
        return self._file.read(size)

    def seek(self, *args):
        return self._file.seek(*args)

    def tell(self):
        return self._file.tell()

    def seekable(self):
        return True

    def fileno(self):
        return self._file.fileno()

    def close(self):
        self.closed = True
        self._file.close()


def sha(data_iter):
    digest = hashlib.sha256()
    total = 0
    largest = 0
    for chunk in data_iter:
        digest.update(chunk)
        total += len(chunk)
        largest = max(largest, len(chunk))
    return digest.hexdigest(), total, largest


def file_sha(path, start=0, stop=None):
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read() if stop is None else f.read(stop - start)
    return hashlib.sha256(data).hexdigest()


def test_staticdir_streams_20mb_in_bounded_memory(mount, tree, big, wsgi_call):
    mount(
        None, {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tree / "static")}}
    )
    tracemalloc.start()
    try:
        status, headers, result = wsgi_call("/static/big.bin")
        try:
            digest, total, largest = sha(result)
        finally:
            result.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == "200 OK"
    assert dict(headers)["Content-Length"] == str(SIZE)
    assert (digest, total) == (file_sha(big), SIZE)
    assert largest <= CHUNK_SIZE
    # A few chunks in flight at most; the file is 20 MiB.
    assert peak < 2 * 1024 * 1024


def test_reads_never_exceed_the_chunk_size(mount, big, wsgi_call):
    opened: list[RecordingFile] = []

    class Root:
        @cherrypit.expose
        def index(self):
            f = RecordingFile(big)
            opened.append(f)
            return static.serve_fileobj(f, "application/octet-stream")

    mount(Root())
    for headers in ({}, {"Range": "bytes=100-5000000"}, {"Range": "bytes=0-99999,-300000"}):
        status, _, result = wsgi_call("/", headers=headers)
        try:
            _, total, largest = sha(result)
        finally:
            result.close()
        assert status.startswith(("200", "206"))
        assert total > 0 and largest <= CHUNK_SIZE
    assert len(opened) == 3
    for f in opened:
        assert f.reads and max(f.reads) <= CHUNK_SIZE
        assert f.closed


def test_a_server_file_wrapper_is_used(mount, tree, big, wsgi_call):
    class Wrapper(wsgiref.util.FileWrapper):
        def __init__(self, filelike, blksize=8192):
            super().__init__(filelike, blksize)
            self.blksize_asked = blksize
            made.append(self)

    made: list[Wrapper] = []

    mount(
        None, {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tree / "static")}}
    )
    status, _, result = wsgi_call("/static/big.bin", extra_environ={"wsgi.file_wrapper": Wrapper})
    try:
        digest, total, largest = sha(result)
    finally:
        result.close()
    assert (status, digest, total) == ("200 OK", file_sha(big), SIZE)
    assert len(made) == 1
    wrapper = made[0]
    assert wrapper.blksize_asked == CHUNK_SIZE and largest <= CHUNK_SIZE
    assert isinstance(wrapper.filelike, FileBody)
    assert wrapper.filelike.closed
    # Ranges are cut by the application, not handed to the wrapper.
    status, _, result = wsgi_call(
        "/static/big.bin",
        headers={"Range": "bytes=10-20"},
        extra_environ={"wsgi.file_wrapper": Wrapper},
    )
    try:
        assert b"".join(result) == big.read_bytes()[10:21]
    finally:
        result.close()
    assert status.startswith("206") and len(made) == 1


def open_fds():
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_descriptor_leaks(mount, tree):
    conf = {
        "/static": {
            "tools.staticdir.on": True,
            "tools.staticdir.dir": str(tree / "static"),
            "tools.staticdir.index": "index.html",
        }
    }
    client = mount(None, conf)
    last_modified = client.get("/static/digits.txt").header("Last-Modified")
    gc.collect()
    before = open_fds()
    for _ in range(20):
        client.get("/static/digits.txt")
        client.head("/static/digits.txt")
        client.get("/static")  # 301 after the index was opened
        client.get("/static/digits.txt", headers={"If-Modified-Since": last_modified})
        client.get("/static/digits.txt", headers={"Range": "bytes=9999-"})  # 416
        client.get("/static/digits.txt", headers={"Range": "bytes=0-1,3-4"})
        client.get("/static/sub")
    gc.collect()
    assert open_fds() == before


def test_bodies_close_when_dropped_unread(big):
    f = open(big, "rb")
    body = FileBody(f, 10)
    del body
    assert f.closed
    g = open(big, "rb")
    multipart = MultipartBody(g, [(0, 1), (5, 9)], "b", "x/y", SIZE)
    assert multipart.read(0) == b""
    multipart.close()
    assert g.closed and multipart.read() == b""


def test_multipart_length_matches_the_bytes(big):
    with open(big, "rb") as f:
        data = f.read(1000)
    body = MultipartBody(open(big, "rb"), [(0, 10), (500, 1000)], "XYZ", None, SIZE)
    out = b"".join(iter(lambda: body.read(7), b""))
    assert len(out) == body.content_length
    assert b"Content-type" not in out  # no type known: no part type line
    assert data[:10] in out and data[500:1000] in out
    body.close()


def test_file_wrapper_from_a_handler(mount, tree, wsgi_call, digits):
    made: list[FileBody] = []

    class Wrapper(wsgiref.util.FileWrapper):
        def __init__(self, filelike, blksize=8192):
            super().__init__(filelike, blksize)
            made.append(filelike)

    class Root:
        @cherrypit.expose
        def index(self):
            return static.serve_file(str(tree / "static" / "digits.txt"))

    mount(Root())
    status, headers, result = wsgi_call("/", extra_environ={"wsgi.file_wrapper": Wrapper})
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()  # a collapsed body is a plain list
    assert (status, body) == ("200 OK", digits)
    assert dict(headers)["Content-Type"] == "text/plain;charset=utf-8"
    gc.collect()
    assert len(made) == 1 and made[0].closed
