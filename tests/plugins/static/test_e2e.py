"""The static tools over a real socket (cheroot): ranges and a large file."""

from __future__ import annotations

import hashlib
import http.client
import urllib.parse

import pytest

import cherrypit

pytestmark = pytest.mark.e2e

SIZE = 20 * 1024 * 1024


@pytest.fixture
def server(live_server, tree):
    conf = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tree / "static")}}
    cherrypit.tree.mount(None, "", conf)
    url = urllib.parse.urlsplit(live_server)
    return url.hostname, url.port


def request(server, path, method="GET", headers=None):
    conn = http.client.HTTPConnection(server[0], server[1], timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        digest = hashlib.sha256()
        size = 0
        while chunk := response.read(256 * 1024):
            digest.update(chunk)
            size += len(chunk)
        return response, digest.hexdigest(), size
    finally:
        conn.close()


def test_large_file_whole_and_ranged(server, tree):
    block = hashlib.sha256(b"e2e").digest() * 2048
    big = block * (SIZE // len(block))
    (tree / "static" / "big.bin").write_bytes(big)
    response, digest, size = request(server, "/static/big.bin")
    assert response.status == 200
    assert response.getheader("Content-Length") == str(SIZE)
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert (digest, size) == (hashlib.sha256(big).hexdigest(), SIZE)

    start, stop = 5_000_000, 15_000_000
    response, digest, size = request(
        server, "/static/big.bin", headers={"Range": f"bytes={start}-{stop - 1}"}
    )
    assert response.status == 206
    assert response.getheader("Content-Range") == f"bytes {start}-{stop - 1}/{SIZE}"
    assert (digest, size) == (hashlib.sha256(big[start:stop]).hexdigest(), stop - start)

    response, _, size = request(server, "/static/big.bin", method="HEAD")
    assert (response.status, size) == (200, 0)
    assert response.getheader("Content-Length") == str(SIZE)


def test_ranges_and_refusals(server, tree, digits, parse_multipart):
    response, _, _ = request(server, "/static/digits.txt", headers={"Range": "bytes=-7"})
    assert response.status == 206
    assert response.getheader("Content-Range") == "bytes 1193-1199/1200"

    conn = http.client.HTTPConnection(server[0], server[1], timeout=30)
    try:
        conn.request("GET", "/static/digits.txt", headers={"Range": "bytes=0-4,30-34"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 206
    parts = parse_multipart(body, response.getheader("Content-Type"))
    assert [data for _, data in parts] == [digits[0:5], digits[30:35]]

    response, _, _ = request(server, "/static/digits.txt", headers={"Range": "bytes=5000-"})
    assert response.status == 416
    assert response.getheader("Content-Range") == "bytes */1200"

    # Paths as sent on the wire (cheroot keeps "%2F" encoded in PATH_INFO).
    for path in (
        "/static/../static-secret/secret.txt",
        "/static/..%2fstatic-secret%2fsecret.txt",
        "/static/%2e%2e/static-secret/secret.txt",
    ):
        response, _, _ = request(server, path)
        assert response.status == 403, path


def test_a_file_name_with_a_trailing_slash_is_not_found(server, tree):
    # normpath drops the slash; CherryPy answers 404 because "notes.txt/" is no file.
    assert request(server, "/static/notes.txt")[0].status == 200
    for path in ("/static/notes.txt/", "/static/sub/page.html/"):
        response, _digest, _size = request(server, path)
        assert response.status == 404, path
