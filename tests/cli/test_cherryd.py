"""CherryPy's ``cherryd`` command line: ``cherrypit -c site.conf -i module [-d] [-p PID]``."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from cherrypit import daemon
from cherrypit.testing import free_port

# A module that mounts its application itself, the way cherryd expects; it reports
# the process id and settings from the -c file (site-wide and per application).
MOUNTING_MODULE = textwrap.dedent(
    """
    import os

    import cherrypit


    class Root:
        @cherrypit.expose
        def index(self):
            return "mounted by the module"

        @cherrypit.expose
        def pid(self):
            return str(os.getpid())

        @cherrypit.expose
        def settings(self):
            return "%s %s" % (
                cherrypit.config.get("custom.flavour"),
                cherrypit.request.config.get("response.headers.x-app"),
            )


    cherrypit.tree.mount(Root(), "/")
    """
)


CHERRYD = [sys.executable, "-m", "cherrypit"]


def _site_conf(folder: Path, port: int) -> Path:
    conf = folder / "site.conf"
    conf.write_text(
        textwrap.dedent(
            f"""
            [global]
            server.socket_host: "127.0.0.1"
            server.socket_port: {port}
            engine.autoreload.on: False
            log.screen: False
            custom.flavour: "cherry"

            [/]
            response.headers.x-app: "hello"
            """
        )
    )
    return conf


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "mounting_app.py").write_text(MOUNTING_MODULE)
    return tmp_path


def test_cherryd_command_lines_are_told_from_cherrypit_ones() -> None:
    assert daemon.is_cherryd_command_line(["-c", "site.conf", "-i", "app"])
    assert daemon.is_cherryd_command_line(["--import=app"])
    assert daemon.is_cherryd_command_line(["-dc", "site.conf"])
    assert not daemon.is_cherryd_command_line(["run", "app:Root", "-c", "site.conf"])
    assert not daemon.is_cherryd_command_line(["--version"])
    assert not daemon.is_cherryd_command_line(["-h"])
    assert not daemon.is_cherryd_command_line([])


@pytest.mark.e2e
def test_cherryd_serves_what_the_imported_module_mounts(app_dir: Path) -> None:
    port = free_port()
    conf = _site_conf(app_dir, port)
    pidfile = app_dir / "app.pid"
    proc = subprocess.Popen(
        [*CHERRYD, "-c", str(conf), "-i", "mounting_app", "-p", str(pidfile)],
        cwd=app_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_until(lambda: _listening(port) or proc.poll() is not None)
        assert proc.poll() is None, proc.communicate()[1]
        assert _get(port, "/") == (200, "mounted by the module")
        # [global] went to the site; [/] to the only mounted application.
        assert _get(port, "/settings") == (200, "cherry hello")
        assert pidfile.read_text().strip() == str(proc.pid)

        proc.send_signal(signal.SIGTERM)  # the engine's signal handler is installed
        _out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert not pidfile.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.e2e
def test_cherryd_daemonizes_and_writes_the_daemon_s_pid(app_dir: Path) -> None:
    port = free_port()
    conf = _site_conf(app_dir, port)
    pidfile = app_dir / "app.pid"
    launcher = subprocess.run(
        [*CHERRYD, "-d", "-c", str(conf), "-i", "mounting_app", "-p", str(pidfile)],
        cwd=app_dir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert launcher.returncode == 0, launcher.stderr
    assert _wait_until(lambda: pidfile.exists() and _listening(port))
    pid = int(pidfile.read_text())
    try:
        assert _get(port, "/pid") == (200, str(pid))
    finally:
        os.kill(pid, signal.SIGTERM)
    assert _wait_until(lambda: not _alive(pid))
    assert not pidfile.exists()


def test_cherryd_reports_a_module_that_does_not_import(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cherrypit", "-i", "no_such_module_here"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "cherrypit: error: No module named 'no_such_module_here'"
    )


def test_cherryd_refuses_the_flup_gateways(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cherrypit", "-f"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "not provided by cherrypit" in result.stderr
