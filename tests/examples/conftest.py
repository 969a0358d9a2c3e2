"""The demo (``python -m examples.demo``) running in a subprocess, and a small HTTP client.

Each server listens on a free 127.0.0.1 port with its own data directory under the
test's ``tmp_path``, and is always terminated.
"""

from __future__ import annotations

import email.utils
import http.client
import http.cookies
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cherrypit.testing import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class DemoServer:
    """A running demo process and where it keeps its things."""

    def __init__(self, data_dir: Path, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        full_env = dict(
            os.environ,
            DEMO_HOST="127.0.0.1",
            DEMO_PORT=str(self.port),
            DEMO_DATA_DIR=str(data_dir),
            PYTHONUNBUFFERED="1",
            **(env or {}),
        )
        with log_path.open("ab") as sink:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "examples.demo"],
                cwd=REPO_ROOT,
                env=full_env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/static/css/site.css")
            conn.getresponse().read()
            conn.close()
        except OSError:
            return False
        return True

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        # Polling, not asserting on time: ready means the URL line is out and it answers.
        while not (self.url in self.log() and self._answers()):
            if self.proc.poll() is not None:
                pytest.fail(f"the demo exited with status {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the demo did not answer within {START_TIMEOUT} s:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def screenshot_dir() -> Path:
    """Where the browser tests put their screenshots (kept after the run, ignored by git)."""
    global _screenshots_taken
    base = os.environ.get("CHERRYPIT_ARTIFACTS")
    folder = (Path(base) if base else REPO_ROOT / "tests" / "artifacts") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    _screenshots_taken = True
    return folder


_screenshots_taken = False


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _screenshots_taken:
        terminalreporter.write_line(f"demo screenshots: {screenshot_dir()}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """One server per test module: tests keep apart by signing up users of their own."""
    folder = tmp_path_factory.mktemp("demo")
    server = DemoServer(folder / "data", folder / "demo.log")
    try:
        yield server
    finally:
        server.stop()


# --- a client that keeps cookies ----------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)

    def csrf_token(self) -> str:
        found = _CSRF.search(self.text)
        assert found, f"no CSRF field in the page:\n{self.text[:2000]}"
        return found.group(1)


def _in_the_past(expires: str) -> bool:
    return bool(expires) and email.utils.parsedate_to_datetime(expires) < datetime.now(UTC)


@dataclass
class WebClient:
    """Talks to one demo server like a browser: cookies kept, redirects not followed."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            answer = Answer(response.status, response.getheaders(), response.read())
        finally:
            conn.close()
        for line in answer.header_all("Set-Cookie"):
            cookie = http.cookies.SimpleCookie(line)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or _in_the_past(morsel["expires"]):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return answer

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post(
        self, path: str, data: dict[str, str], headers: dict[str, str] | None = None
    ) -> Answer:
        body = urllib.parse.urlencode(data).encode()
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", path, body, sent)

    def post_multipart(
        self, path: str, data: dict[str, str], files: dict[str, tuple[str, str, bytes]]
    ) -> Answer:
        """``files``: field → (file name, content type, bytes)."""
        boundary = secrets.token_hex(12)
        chunks: list[bytes] = []
        for name, value in data.items():
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content_type, content) in files.items():
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        chunks.append(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, b"".join(chunks), headers)

    def sign_up(self, username: str, password: str = "correct horse") -> Answer:
        token = self.get("/signup").csrf_token()
        return self.post(
            "/signup",
            {"csrf_token": token, "username": username, "password": password, "confirm": password},
        )
