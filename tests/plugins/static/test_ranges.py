"""Range requests: single ranges, suffixes, multipart/byteranges, 416, If-Range."""

from __future__ import annotations

import pytest

import cherrypit
from cherrypit.lib import static
from cherrypit_static.ranges import MAX_RANGES, parse_ranges


@pytest.fixture
def client(mount, tree):
    digits = str(tree / "static" / "digits.txt")

    class Root:
        @cherrypit.expose
        def file(self):
            return static.serve_file(digits)

        @cherrypit.expose
        def binary(self):
            return static.serve_file(digits, "application/octet-stream")

        @cherrypit.expose
        def returned(self):
            cherrypit.response.headers["Content-Type"] = "text/plain"
            return open(digits, "rb")

    conf = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tree / "static")}}
    return mount(Root(), conf)


@pytest.mark.parametrize(
    ("spec", "content_range", "start", "stop"),
    [
        ("bytes=0-9", "bytes 0-9/1200", 0, 10),
        ("bytes=30-59", "bytes 30-59/1200", 30, 60),
        ("bytes=-7", "bytes 1193-1199/1200", 1193, 1200),  # suffix
        ("bytes=1190-", "bytes 1190-1199/1200", 1190, 1200),  # open-ended
        ("bytes=1190-5000", "bytes 1190-1199/1200", 1190, 1200),  # clipped at the end
        ("bytes=-5000", "bytes 0-1199/1200", 0, 1200),  # suffix longer than the file
        ("bytes=0-0", "bytes 0-0/1200", 0, 1),
        ("bytes = 5 - 6", "bytes 5-6/1200", 5, 7),
        ("items=0-5", "bytes 0-5/1200", 0, 6),  # CherryPy reads any unit as bytes
        ("bytes=5000-6000,3-4", "bytes 3-4/1200", 3, 5),  # unsatisfiable part dropped
    ],
)
def test_single_range(client, digits, spec, content_range, start, stop):
    for path in ("/file", "/static/digits.txt"):
        r = client.get(path, headers={"Range": spec})
        assert r.status == 206
        assert r.header("Content-Range") == content_range
        assert r.header("Content-Length") == str(stop - start)
        assert r.body == digits[start:stop]
        assert r.header("Accept-Ranges") == "bytes"


def test_multiple_ranges(client, digits, parse_multipart):
    r = client.get("/file", headers={"Range": "bytes=0-4,30-34,-3"})
    assert r.status == 206
    content_type = r.header("Content-Type")
    assert content_type.startswith("multipart/byteranges; boundary=")
    assert r.header("Content-Length") == str(len(r.body))
    parts = parse_multipart(r.body, content_type)
    assert [(p["content-range"], data) for p, data in parts] == [
        ("bytes 0-4/1200", digits[0:5]),
        ("bytes 30-34/1200", digits[30:35]),
        ("bytes 1197-1199/1200", digits[1197:]),
    ]
    # Each part names the file's own type (before the charset the encoder adds).
    assert {p["content-type"] for p, _ in parts} == {"text/plain"}


def test_multiple_ranges_from_staticdir_and_repeated(client, digits, parse_multipart):
    r = client.get("/static/digits.txt", headers={"Range": "bytes=0-0,0-0"})
    parts = parse_multipart(r.body, r.header("Content-Type"))
    assert [data for _, data in parts] == [b"0", b"0"]
    r = client.get("/binary", headers={"Range": "bytes=0-2,1190-9999"})
    parts = parse_multipart(r.body, r.header("Content-Type"))
    assert [(p["content-type"], p["content-range"], d) for p, d in parts] == [
        ("application/octet-stream", "bytes 0-2/1200", digits[:3]),
        ("application/octet-stream", "bytes 1190-1199/1200", digits[1190:]),
    ]


def test_boundaries_differ_between_responses(client):
    first = client.get("/file", headers={"Range": "bytes=0-1,3-4"}).header("Content-Type")
    second = client.get("/file", headers={"Range": "bytes=0-1,3-4"}).header("Content-Type")
    assert first != second


@pytest.mark.parametrize(
    "spec", ["bytes=5000-6000", "bytes=1200-", "bytes=-0", "bytes=1200-1300,9999-"]
)
def test_unsatisfiable(client, spec):
    for path in ("/file", "/static/digits.txt"):
        r = client.get(path, headers={"Range": spec})
        assert r.status == 416
        assert r.header("Content-Range") == "bytes */1200"
        assert "first-byte-pos greater than Content-Length" in r.text


@pytest.mark.parametrize(
    "spec",
    ["bytes=9-2", "bytes=abc", "bytes=1-x", "bytes=-", "bytes=--5", "garbage", "bytes=0-1,5"],
)
def test_invalid_headers_are_ignored(client, digits, spec):
    r = client.get("/file", headers={"Range": spec})
    assert (r.status, r.body) == (200, digits)
    assert r.header("Content-Range") is None


def test_too_many_or_overlapping_ranges_get_the_whole_file(client, digits):
    many = "bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_RANGES + 1))
    assert client.get("/file", headers={"Range": many}).status == 200
    overlapping = "bytes=" + ",".join(["0-"] * 3)
    r = client.get("/file", headers={"Range": overlapping})
    assert (r.status, r.body) == (200, digits)


def test_returned_file_objects_have_no_ranges(client, digits):
    r = client.get("/returned", headers={"Range": "bytes=3-8"})
    assert (r.status, r.body) == (200, digits)


def test_if_range(client, digits):
    last_modified = client.get("/file").header("Last-Modified")
    r = client.get("/file", headers={"Range": "bytes=0-1", "If-Range": last_modified})
    assert (r.status, r.body) == (206, digits[:2])
    r = client.get("/file", headers={"Range": "bytes=0-1", "If-Range": '"some-etag"'})
    assert (r.status, r.body) == (200, digits)


def test_head_with_a_range(client):
    r = client.head("/static/digits.txt", headers={"Range": "bytes=0-9"})
    assert (r.status, r.body, r.header("Content-Length")) == (206, b"", "10")


@pytest.mark.parametrize(
    ("header", "length", "expected"),
    [
        (None, 10, None),
        ("", 10, None),
        ("bytes=0-4", 10, [(0, 5)]),
        ("bytes=0-4,6-", 10, [(0, 5), (6, 10)]),
        ("bytes=-3", 10, [(7, 10)]),
        ("bytes=20-30", 10, []),
        ("bytes=-3", 0, []),
        ("bytes=0-", 0, []),
        ("bytes=4-2", 10, None),
        ("bytes=20-10", 10, []),  # CherryPy checks the start against the length first
        ("bytes=0-2x", 10, None),
        ("bytes=²-3", 10, None),
        ("nounit", 10, None),
    ],
)
def test_parse_ranges(header, length, expected):
    assert parse_ranges(header, length) == expected


HUGE = "9" * 5000  # past int()'s 4300-digit limit


@pytest.mark.parametrize(
    ("spec", "status", "start", "stop"),
    [
        (f"bytes={HUGE}-", 416, 0, 0),  # starts past any file
        (f"bytes={HUGE}-{HUGE}", 416, 0, 0),
        (f"bytes=0-{HUGE}", 206, 0, 1200),  # clipped at the end
        (f"bytes=-{HUGE}", 206, 0, 1200),  # suffix longer than the file
        ("bytes=1190-99999999999999999999", 206, 1190, 1200),  # 20 digits
        (f"bytes={'0' * 40}5-{'0' * 40}9", 206, 5, 10),  # leading zeros do not count
    ],
)
def test_huge_positions_are_read_as_past_the_end(
    client, digits, error_log, spec, status, start, stop
):
    for path in ("/file", "/static/digits.txt"):
        r = client.get(path, headers={"Range": spec})
        assert r.status == status
        if status == 206:
            assert r.header("Content-Range") == f"bytes {start}-{stop - 1}/1200"
            assert r.body == digits[start:stop]
        else:
            assert r.header("Content-Range") == "bytes */1200"
    assert "Traceback" not in error_log.text()


@pytest.mark.parametrize("spec", ["bytes=²-5", "bytes=0-¹", "bytes=-²", "bytes=+1-5"])
def test_non_ascii_digits_make_the_header_ignored(client, digits, error_log, spec):
    r = client.get("/file", headers={"Range": spec})
    assert (r.status, r.body) == (200, digits)
    assert r.header("Content-Range") is None
    assert "Traceback" not in error_log.text()
