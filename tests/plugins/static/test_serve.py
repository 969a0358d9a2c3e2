"""serve_file, serve_fileobj and serve_download called from page handlers."""

from __future__ import annotations

import io
import os
import threading

import pytest

import cherrypit
from cherrypit.lib import static


def make_root(tree):
    static_dir = tree / "static"
    digits = str(static_dir / "digits.txt")

    class Root:
        @cherrypit.expose
        def file(self, name="digits.txt"):
            return static.serve_file(str(static_dir / name))

        @cherrypit.expose
        def typed(self):
            return static.serve_file(digits, content_type="application/octet-stream")

        @cherrypit.expose
        def attachment(self):
            return static.serve_file(digits, "application/x-download", "attachment")

        @cherrypit.expose
        def named(self, name):
            return static.serve_file(digits, "text/plain", "inline", name)

        @cherrypit.expose
        def download(self, name=None):
            return static.serve_download(digits, name)

        @cherrypit.expose
        def relative(self):
            return static.serve_file("static/digits.txt")

        @cherrypit.expose
        def directory(self):
            return static.serve_file(str(static_dir))

        @cherrypit.expose
        def fileobj(self):
            return static.serve_fileobj(open(digits, "rb"), "text/plain")

        @cherrypit.expose
        def memory(self, disposition=None, name=None):
            data = io.BytesIO(b"bytes kept in memory\n")
            return static.serve_fileobj(data, "application/octet-stream", disposition, name)

        @cherrypit.expose
        def positioned(self):
            data = io.BytesIO(b"0123456789")
            data.seek(4)
            return static.serve_fileobj(data, "application/octet-stream")

    return Root()


def test_serve_file_headers_and_body(mount, tree, digits):
    client = mount(make_root(tree))
    r = client.get("/file")
    assert r.status == 200
    assert r.body == digits
    # The encode tool (on by default) adds the charset to text types, as in CherryPy.
    assert r.header("Content-Type") == "text/plain;charset=utf-8"
    assert r.header("Content-Length") == "1200"
    assert r.header("Accept-Ranges") == "bytes"
    assert r.header("Last-Modified")


def test_explicit_content_type(mount, tree, digits):
    client = mount(make_root(tree))
    r = client.get("/typed")
    assert (r.header("Content-Type"), r.body) == ("application/octet-stream", digits)


def test_missing_file_and_directory_are_404(mount, tree):
    client = mount(make_root(tree))
    assert client.get("/file", query={"name": "nope.txt"}).status == 404
    assert client.get("/directory").status == 404


def test_relative_path_is_a_programming_error(mount, tree):
    client = mount(make_root(tree))
    assert client.get("/relative").status == 500


def test_special_files_are_not_served(mount, tree):
    fifo = tree / "static" / "pipe"
    os.mkfifo(fifo)
    client = mount(make_root(tree))
    # Opening a FIFO must neither block nor serve it.
    assert client.get("/file", query={"name": "pipe"}).status == 404


def test_attachment_uses_the_base_name(mount, tree):
    client = mount(make_root(tree))
    r = client.get("/attachment")
    assert r.header("Content-Disposition") == 'attachment; filename="digits.txt"'
    assert r.header("Content-Type") == "application/x-download"


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("report.txt", 'inline; filename="report.txt"'),
        ("with space.txt", 'inline; filename="with space.txt"'),
        (
            "résumé file.txt",
            "inline; filename=\"rsum file.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20file.txt",
        ),
        ("ﬁle.txt", "inline; filename=\"file.txt\"; filename*=UTF-8''%EF%AC%81le.txt"),  # NFKC
        ("日本.txt", "inline; filename=\".txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
        ('say "hi".txt', 'inline; filename="say \\"hi\\".txt"'),
        ("a/b.txt", 'inline; filename="a/b.txt"'),
    ],
)
def test_rfc6266_file_names(mount, tree, name, header):
    client = mount(make_root(tree))
    r = client.get("/named", query={"name": name})
    assert r.header("Content-Disposition") == header


def test_serve_download(mount, tree, digits):
    client = mount(make_root(tree))
    r = client.get("/download")
    assert r.header("Content-Type") == "application/x-download"
    assert r.header("Content-Disposition") == 'attachment; filename="digits.txt"'
    assert r.body == digits
    r = client.get("/download", query={"name": "d.txt"})
    assert r.header("Content-Disposition") == 'attachment; filename="d.txt"'


def test_serve_fileobj_of_a_real_file(mount, tree, digits):
    client = mount(make_root(tree))
    r = client.get("/fileobj")
    assert r.body == digits
    assert r.header("Last-Modified") and r.header("Content-Length") == "1200"


def test_serve_fileobj_in_memory(mount, tree):
    client = mount(make_root(tree))
    r = client.get("/memory", query={"disposition": "attachment", "name": "memory.txt"})
    assert r.body == b"bytes kept in memory\n"
    assert r.header("Content-Disposition") == 'attachment; filename="memory.txt"'
    assert r.header("Content-Length") == "21"
    assert r.header("Accept-Ranges") == "bytes"
    assert r.header("Last-Modified") is None
    # Without a name the header is just the disposition.
    assert (
        client.get("/memory", query={"disposition": "inline"}).header("Content-Disposition")
        == "inline"
    )
    # In-memory files have a size, so ranges work (CherryPy failed with a 500).
    r = client.get("/memory", headers={"Range": "bytes=0-4"})
    assert (r.status, r.body) == (206, b"bytes")


def test_serve_fileobj_from_its_current_position(mount, tree):
    client = mount(make_root(tree))
    r = client.get("/positioned")
    assert (r.body, r.header("Content-Length")) == (b"456789", "6")
    r = client.get("/positioned", headers={"Range": "bytes=1-2"})
    assert (r.status, r.body, r.header("Content-Range")) == (206, b"56", "bytes 1-2/6")


def test_serve_fileobj_of_a_pipe_has_no_ranges(mount):
    read_fd, write_fd = os.pipe()
    data = b"streamed through a pipe\n" * 10

    def writer():
        with os.fdopen(write_fd, "wb") as w:
            w.write(data)

    thread = threading.Thread(target=writer)
    thread.start()

    class Root:
        @cherrypit.expose
        def index(self):
            return static.serve_fileobj(os.fdopen(read_fd, "rb"), "application/octet-stream")

    client = mount(Root())
    r = client.get("/", headers={"Range": "bytes=0-3"})
    thread.join()
    assert (r.status, r.body) == (200, data)
    assert r.header("Accept-Ranges") is None
    assert r.header("Content-Length") == str(len(data))


def test_http_1_0_gets_no_ranges(mount, tree, digits):
    client = mount(make_root(tree))
    r = client.get("/file", headers={"Range": "bytes=0-9"}, protocol="HTTP/1.0")
    assert (r.status, r.body) == (200, digits)
    assert r.header("Accept-Ranges") is None


def test_head_of_a_served_file(mount, tree):
    client = mount(make_root(tree))
    r = client.head("/typed")
    assert (r.status, r.body, r.header("Content-Length")) == (200, b"", "1200")
