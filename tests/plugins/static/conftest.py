"""Fixtures for the static plugin: a real file tree, a mounting helper, raw WSGI calls."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cherrypit

#: 1200 bytes: forty lines "NN-abcdefghijklmnopqrstuvwxyz\n".
DIGITS = b"".join(b"%02d-abcdefghijklmnopqrstuvwxyz\n" % i for i in range(40))
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")
SECRET = b"top secret, never served\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``<tmp>/site`` with ``static/`` (the served directory) and sibling secrets."""
    site = tmp_path / "site"
    static = site / "static"
    (static / "sub").mkdir(parents=True)
    (static / "index.html").write_text("<h1>static index</h1>\n")
    (static / "style.css").write_text("body { color: #333; }\n")
    (static / "notes.txt").write_text("Plain notes.\n")
    (static / "data.json").write_text('{"a": 1}\n')
    (static / "pixel.png").write_bytes(PNG)
    (static / "digits.txt").write_bytes(DIGITS)
    (static / "UPPER.TXT").write_text("upper case extension\n")
    (static / "README").write_text("no extension\n")
    (static / "favicon.ico").write_bytes(PNG)
    (static / "archive.gz").write_bytes(b"\x1f\x8b")
    (static / "with space.txt").write_text("a space\n")
    (static / "résumé.txt").write_text("accents\n", encoding="utf-8")
    (static / "sub" / "index.html").write_text("sub index\n")
    (static / "sub" / "page.html").write_text("sub page\n")
    secret = site / "static-secret"
    secret.mkdir()
    (secret / "secret.txt").write_bytes(SECRET)
    (site / "outside.txt").write_bytes(SECRET)
    return site


def _wsgi_call(
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    extra_environ: dict[str, Any] | None = None,
) -> tuple[str, list[tuple[str, str]], Any]:
    """Call ``cherrypit.tree`` directly; returns the unread result for streaming checks."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8080",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    environ.update(extra_environ or {})
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc: Any = None):
        captured["status"] = status
        captured["headers"] = response_headers
        return lambda data: None

    result = cherrypit.tree(environ, start_response)
    return captured["status"], captured["headers"], result


def _parse_multipart(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a ``multipart/byteranges`` body: (headers by lower-case name, data)."""
    boundary = content_type.split("boundary=", 1)[1].encode()
    assert body.startswith(b"\r\n--" + boundary)
    assert body.endswith(b"--" + boundary + b"--\r\n")
    parts = []
    for chunk in body[2:].split(b"--" + boundary)[1:-1]:
        assert chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")
        head, _, data = chunk[2:-2].partition(b"\r\n\r\n")
        fields = {}
        for line in head.decode("ascii").split("\r\n"):
            name, _, value = line.partition(": ")
            fields[name.lower()] = value
        parts.append((fields, data))
    return parts


@pytest.fixture
def wsgi_call() -> Callable[..., tuple[str, list[tuple[str, str]], Any]]:
    """Call ``cherrypit.tree`` directly (``wsgi_call(path, method, headers, extra_environ)``)."""
    return _wsgi_call


@pytest.fixture
def parse_multipart() -> Callable[[bytes, str], list[tuple[dict[str, str], bytes]]]:
    """Split a ``multipart/byteranges`` body into (headers, data) parts."""
    return _parse_multipart


@pytest.fixture
def digits() -> bytes:
    """The content of ``static/digits.txt``."""
    return DIGITS
