"""The demo site as users run it: ``python -m examples.demo`` in a subprocess, over HTTP.

The demo listens on a free 127.0.0.1 port (``DEMO_PORT``) and is always terminated.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cherrypit.testing import free_port

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0


class Demo:
    """A running demo process and how to talk to it."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, output: Path) -> None:
        self.proc = proc
        self.port = port
        self.output = output

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            return response.status, answer_headers, response.read()
        finally:
            conn.close()

    def answers(self) -> bool:
        try:
            self.request("GET", "/")
        except OSError:
            return False
        return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    output = tmp_path / "demo.log"
    env = dict(os.environ, DEMO_HOST="127.0.0.1", DEMO_PORT=str(port), PYTHONUNBUFFERED="1")
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "examples.demo"],
            cwd=REPO_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    running = Demo(proc, port, output)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        # Polling, not asserting on time: ready means the URL line is out and "/" answers.
        while not (running.url in running.log() and running.answers()):
            if proc.poll() is not None:
                pytest.fail(f"the demo exited with status {proc.returncode}:\n{running.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the demo did not answer within {START_TIMEOUT} s:\n{running.log()}")
            time.sleep(0.1)
        yield running
    finally:
        _stop(proc)


def form(data: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return (
        urllib.parse.urlencode(data).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_demo_prints_its_url(demo: Demo) -> None:
    assert f"cherrypit demo serving on {demo.url}" in demo.log()


def test_demo_pages(demo: Demo) -> None:
    status, headers, body = demo.request("GET", "/")
    assert status == 200
    assert headers["content-type"] == "text/html;charset=utf-8"
    assert b"<h1>cherrypit demo</h1>" in body

    status, headers, _ = demo.request("GET", "/about")
    assert status == 301
    assert headers["location"] == f"{demo.url}about/"

    status, headers, body = demo.request("GET", "/blog/2024/05")
    assert status == 200
    assert headers["x-demo-section"] == "blog"
    assert b"Object dispatch in five minutes" in body

    status, _, body = demo.request("GET", "/users/alice/posts")
    assert status == 200
    assert b"Down the rabbit hole" in body


def test_demo_form_validation_and_redirect(demo: Demo) -> None:
    payload, headers = form({"name": "Ann", "email": "<script>", "message": "hi"})
    status, _, body = demo.request("POST", "/contact/", payload, headers)
    assert status == 400
    assert b"&lt;script&gt;" in body
    assert b"<script>" not in body

    payload, headers = form({"name": "Ann", "email": "ann@example.org", "message": "hi"})
    status, answer, _ = demo.request("POST", "/contact/", payload, headers)
    assert status == 303
    assert answer["location"] == f"{demo.url}contact/thanks"


def test_demo_rest_json(demo: Demo) -> None:
    status, headers, body = demo.request("GET", "/api/notes")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"notes": [{"id": 1, "text": "Try the demo"}]}

    status, headers, body = demo.request(
        "POST",
        "/api/notes",
        json.dumps({"text": "hello"}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 201
    created: dict[str, Any] = json.loads(body)
    assert created["text"] == "hello"
    assert headers["location"] == f"{demo.url}api/notes/{created['id']}"

    status, _, body = demo.request("GET", "/api/notes/424242")
    assert status == 404
    assert json.loads(body)["error"] == "No note with id '424242'."


def test_demo_error_pages(demo: Demo) -> None:
    status, _, body = demo.request("GET", "/no/such/page")
    assert status == 404
    assert b"<h1>Page not found</h1>" in body

    status, _, body = demo.request("GET", "/boom")
    assert status == 500
    assert b"<h1>Server error</h1>" in body
    assert b"RuntimeError" not in body
    # ... but the traceback went to the log.
    assert "RuntimeError: this page fails on purpose" in demo.log()
