"""The first hour in production, in real processes: errors reach a log, start-up
failures are one line.

Each test runs a small application in a subprocess the way its documentation says to
run it: under a foreign WSGI server (wsgiref, ``environment: embedded``), with
``cherrypit run`` and with ``quickstart``; servers bind 127.0.0.1 on free ports and
are stopped by the test.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cherrypit.testing import free_port

pytestmark = pytest.mark.e2e

APP = '''
import cherrypit


class Root:
    @cherrypit.expose
    def index(self):
        return "ok"

    @cherrypit.expose
    def boom(self):
        raise ValueError("the order id is missing")
'''

# A foreign WSGI server with an error log of its own: wsgi.errors is a file.
WSGI_SERVER = '''
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

import cherrypit
from app import Root

cherrypit.config.update({"environment": sys.argv[3]})
cherrypit.tree.mount(Root(), "")
cherrypit.engine.start()
server_log = open(sys.argv[2], "a")


class Handler(WSGIRequestHandler):
    def get_stderr(self):
        return server_log

    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", int(sys.argv[1]), cherrypit.tree, handler_class=Handler)
server.handle_request()  # the test's probe that the port is open
server.handle_request()
server_log.close()
cherrypit.engine.exit()
'''

QUICKSTART = '''
import sys

import cherrypit
from app import Root

cherrypit.config.update(
    {"server.socket_host": "127.0.0.1", "server.socket_port": int(sys.argv[1])}
)
if len(sys.argv) > 2:
    cherrypit.config.update({"environment": sys.argv[2]})
cherrypit.quickstart(Root())
'''

ENGINE_START = '''
import sys

import cherrypit
from app import Root

cherrypit.config.update(
    {"server.socket_host": "127.0.0.1", "server.socket_port": int(sys.argv[1])}
)
cherrypit.tree.mount(Root(), "")
cherrypit.engine.start()
cherrypit.engine.block()
'''


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    for name, text in (
        ("app.py", APP),
        ("wsgi_server.py", WSGI_SERVER),
        ("quick.py", QUICKSTART),
        ("engine_start.py", ENGINE_START),
    ):
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def spawn(app_dir: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _start(spawned: list[subprocess.Popen[str]], cwd: Path, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, *args], cwd=cwd, env=_env(), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    spawned.append(proc)
    return proc


def _wait_for_port(port: int, proc: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"exited early ({proc.returncode}):\n{out}\n{err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port}")


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=20)


def _assert_logged(text: str) -> None:
    assert "HTTP ValueError: the order id is missing" in text, text
    assert "Traceback (most recent call last):" in text
    assert 'raise ValueError("the order id is missing")' in text


# --- item: errors are always logged -------------------------------------------------


@pytest.mark.parametrize("environment", ["embedded", "production"])
def test_foreign_wsgi_server_gets_the_error_in_its_error_log(app_dir, spawn, environment) -> None:
    port = free_port()
    server_log = app_dir / "server-error.log"
    proc = _start(spawn, app_dir, "wsgi_server.py", str(port), str(server_log), environment)
    _wait_for_port(port, proc)
    status, body = _get(port, "/boom")
    _out, err = proc.communicate(timeout=20)
    assert status == 500
    assert "Traceback" not in body and "order id" not in body  # not to the client
    _assert_logged(server_log.read_text())
    assert "ValueError" not in err  # once, in the server's log


@pytest.mark.parametrize("environment", ["production", "development"])
def test_cherrypit_run_logs_the_error_to_stderr(app_dir, spawn, environment) -> None:
    port = free_port()
    proc = _start(
        spawn, app_dir, "-m", "cherrypit", "run", "app:Root",
        "--host", "127.0.0.1", "--port", str(port), "--environment", environment,
    )
    _wait_for_port(port, proc)
    status, body = _get(port, "/boom")
    _out, err = _stop(proc)
    assert status == 500
    assert ("Traceback" in body) is (environment == "development")
    _assert_logged(err)


def test_quickstart_in_production_logs_the_error_to_stderr(app_dir, spawn) -> None:
    port = free_port()
    proc = _start(spawn, app_dir, "quick.py", str(port), "production")
    _wait_for_port(port, proc)
    status, body = _get(port, "/boom")
    _out, err = _stop(proc)
    assert status == 500
    assert "Traceback" not in body
    _assert_logged(err)


def test_a_log_file_takes_the_error_instead_of_stderr(app_dir, spawn) -> None:
    port = free_port()
    error_file = app_dir / "error.log"
    (app_dir / "prod.conf").write_text(
        f'[global]\nenvironment = "production"\nlog.error_file = "{error_file}"\n'
    )
    proc = _start(
        spawn, app_dir, "-m", "cherrypit", "run", "app:Root", "-c", "prod.conf",
        "--host", "127.0.0.1", "--port", str(port),
    )
    _wait_for_port(port, proc)
    status, _body = _get(port, "/boom")
    _out, err = _stop(proc)
    assert status == 500
    _assert_logged(error_file.read_text())
    assert "ValueError" not in err


# --- item: a port in use is one line ------------------------------------------------


@pytest.mark.parametrize("script", ["quick.py", "engine_start.py"])
def test_a_port_in_use_is_one_line(app_dir, script) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, script, str(port)],
            cwd=app_dir, capture_output=True, text=True, timeout=60, env=_env(),
        )
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    about_the_port = [line for line in lines if "in use" in line]
    assert len(about_the_port) == 1, result.stderr
    assert about_the_port[0].endswith(
        f"ENGINE Cannot start: server.socket_port: port 127.0.0.1:{port} is already in use"
    )
    assert "Traceback" not in result.stderr
    for bus_line in ("Bus STOPPING", "Bus STOPPED", "Bus EXITING", "Bus EXITED"):
        assert sum(line.endswith(bus_line) for line in lines) == 1, result.stderr
