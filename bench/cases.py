"""The request each benchmark app answers, its WSGI environ, and the expected reply.

Standard library only: this module is imported by the worker under both
interpreters (the project's and the one with the real CherryPy).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    """One benchmark request and the check of its answer."""

    app: str
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    content_type: str = ""
    status: int = 200
    #: exact body expected (``None``: checked by :attr:`check` only)
    expected_body: bytes | None = None
    #: extra check of the body; returns an error message or ``""``
    check: Callable[[bytes], str] | None = None

    def base_environ(self) -> dict[str, Any]:
        """The environ every request of this case starts from (copied per request)."""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": self.path,
            "QUERY_STRING": self.query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8080",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": "54321",
            "HTTP_HOST": "127.0.0.1:8080",
            "HTTP_USER_AGENT": "cherrypit-bench",
            "HTTP_ACCEPT": "*/*",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            environ["CONTENT_LENGTH"] = str(len(self.body))
        if self.content_type:
            environ["CONTENT_TYPE"] = self.content_type
        return environ

    def verify(self, status_line: str, body: bytes) -> str:
        """An error message when the reply is wrong, else ``""``."""
        code = int(status_line.split(" ", 1)[0])
        if code != self.status:
            return f"{self.app}: expected status {self.status}, got {status_line!r}"
        if self.expected_body is not None and body != self.expected_body:
            return f"{self.app}: expected body {self.expected_body!r}, got {body[:200]!r}"
        if self.check is not None:
            return self.check(body)
        return ""


#: The ``json_post`` request: about 1 KiB of JSON, answered with ``value`` doubled and
#: the rest echoed (about 1 KiB back).
JSON_IN: dict[str, Any] = {
    "value": 21,
    "items": [{"id": i, "name": f"item-{i:02d}", "tags": ["a", "b"]} for i in range(20)],
}
JSON_OUT: dict[str, Any] = {**JSON_IN, "value": 42}
#: The ``params`` answer: the positional segment and both query parameters, as JSON.
PARAMS_OUT: dict[str, Any] = {"x": "5", "a": "1", "b": "two"}


def _json_check(app: str, expected: dict[str, Any]) -> Callable[[bytes], str]:
    def check(body: bytes) -> str:
        try:
            data = json.loads(body)
        except ValueError:
            return f"{app}: body is not JSON: {body[:200]!r}"
        if data != expected:
            return f"{app}: expected {expected!r}, got {data!r}"
        return ""

    return check


def _check_not_found(body: bytes) -> str:
    if b"Not Found" not in body and b"404" not in body:
        return f"notfound: the error page does not mention 404: {body[:200]!r}"
    return ""


#: The file the ``static`` case serves: 64 KiB, every byte value, written by each app's
#: mount into a fresh temporary folder.
STATIC_NAME = "file.bin"
STATIC_BYTES = bytes(range(256)) * 256


def static_dir() -> str:
    """A new temporary folder holding :data:`STATIC_NAME`."""
    import atexit
    import os
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="cherrypit-bench-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    with open(os.path.join(folder, STATIC_NAME), "wb") as f:
        f.write(STATIC_BYTES)
    return folder


CASES: dict[str, Case] = {
    "hello": Case("hello", "GET", "/", expected_body=b"Hello world!"),
    "params": Case("params", "GET", "/p/5", "a=1&b=two", check=_json_check("params", PARAMS_OUT)),
    "json_post": Case(
        "json_post",
        "POST",
        "/echo",
        body=json.dumps(JSON_IN).encode(),
        content_type="application/json",
        check=_json_check("json_post", JSON_OUT),
    ),
    "notfound": Case("notfound", "GET", "/missing", status=404, check=_check_not_found),
    "static": Case("static", "GET", "/static/" + STATIC_NAME, expected_body=STATIC_BYTES),
    # No cookie: every request opens a new RAM session and stores the counter.
    "session": Case("session", "GET", "/count", expected_body=b"1"),
}
