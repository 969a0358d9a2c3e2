"""``cherrypit run --reload`` as users run it: edit the code, the next request sees it.

The supervisor runs in its own session (process group) so the test can always kill
the whole tree; it binds nothing itself, its child serves on a free 127.0.0.1 port.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cherrypit.testing import free_port

pytestmark = pytest.mark.e2e

TIMEOUT = 20.0
CHERRYPIT_SCRIPT = Path(sys.executable).with_name("cherrypit")

APP = """\
import cherrypit


class Root:
    @cherrypit.expose
    def index(self):
        return {text!r}
"""

# Checking five times a second keeps the test short; the key also shows that a
# config file given with -c reaches the supervised child.
RELOAD_CONF = "[global]\nengine.autoreload.frequency = 0.2\n"


class Supervised:
    """A ``cherrypit run --reload`` process tree and how to talk to it."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, output: Path) -> None:
        self.proc = proc
        self.port = port
        self.output = output

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def body(self) -> str | None:
        """The text at ``/``, or ``None`` while nothing (or an error) answers."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/", headers={"Connection": "close"})
            response = conn.getresponse()
            data = response.read().decode()
            return data if response.status == 200 else None
        except OSError:
            return None
        finally:
            conn.close()

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if self.proc.poll() is not None:
                pytest.fail(f"the supervisor exited ({self.proc.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {TIMEOUT} s:\n{self.log()}")
            time.sleep(0.05)

    def wait_for_body(self, text: str) -> None:
        self.wait_for(lambda: self.body() == text, f"page saying {text!r}")


def edit(path: Path, content: str, step: int, offset_ns: int = 0) -> None:
    """Rewrite a file and set its mtime explicitly: 10 s per step, plus ``offset_ns``."""
    path.write_text(content)
    stamp = 1_700_000_000_000_000_000 + step * 10_000_000_000 + offset_ns
    os.utime(path, ns=(stamp, stamp))


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., Supervised]]:
    started: list[subprocess.Popen[bytes]] = []

    def run(command: list[str], target: str) -> Supervised:
        port = free_port()
        (tmp_path / "reload.conf").write_text(RELOAD_CONF)
        output = tmp_path / "output.log"
        # Bytecode caching on, as users usually have it: stale .pyc files are a way
        # for a reload to serve old code.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        args = ["run", "--reload", "-c", "reload.conf", target, "--host", "127.0.0.1"]
        with output.open("wb") as sink:
            proc = subprocess.Popen(
                [*command, *args, "--port", str(port)],
                cwd=tmp_path,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(proc)
        return Supervised(proc, port, output)

    try:
        yield run
    finally:
        for proc in started:
            kill_tree(proc)


def test_edit_break_and_fix_a_module(launch: Callable[..., Supervised], tmp_path: Path) -> None:
    module = tmp_path / "reload_app.py"
    edit(module, APP.format(text="version 1"), step=1)
    app = launch([sys.executable, str(CHERRYPIT_SCRIPT)], "reload_app:Root")
    app.wait_for_body("version 1")

    edit(module, APP.format(text="version 2"), step=2)
    app.wait_for_body("version 2")

    # The new code does not import: the supervisor says why and keeps running.
    edit(module, "import cherrypit\n\nclass Root(:\n    pass\n", step=3)
    app.wait_for(lambda: "waiting for one of" in app.log(), "report of the failure")
    log = app.log()
    assert "the application exited with status 2 before serving" in log
    assert "SyntaxError" in log.split("before serving", 1)[1]
    assert app.proc.poll() is None
    assert app.body() is None

    edit(module, APP.format(text="version 3"), step=4)
    app.wait_for_body("version 3")

    # SIGTERM to the supervisor stops the child too and frees the port.
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(timeout=TIMEOUT) == 0
    assert app.body() is None
    assert "Restarting because" in app.log()


def test_python_dash_m_with_a_package(launch: Callable[..., Supervised], tmp_path: Path) -> None:
    package = tmp_path / "reload_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from reload_pkg.views import Root\n")
    views = package / "views.py"
    edit(views, APP.format(text="from a package"), step=1)
    app = launch([sys.executable, "-m", "cherrypit"], "reload_pkg:Root")
    app.wait_for_body("from a package")

    edit(views, APP.format(text="edited submodule"), step=2)
    app.wait_for_body("edited submodule")
    assert f"Restarting because {views} changed." in app.log()

    # Same size, same whole second: Python would trust the old .pyc if the
    # reloader did not delete it.
    edit(views, APP.format(text="edited submodulf"), step=2, offset_ns=500_000_000)
    app.wait_for_body("edited submodulf")


QUICKSTART_APP = """\
import cherrypit


class Root:
    @cherrypit.expose
    def index(self):
        return {text!r}


cherrypit.config.update({{
    "server.socket_host": "127.0.0.1",
    "server.socket_port": {port},
    "engine.autoreload.frequency": 0.2,
}})
cherrypit.quickstart(Root())
"""


def test_the_default_in_process_reload_survives_a_syntax_error(tmp_path: Path) -> None:
    """``python app.py`` with autoreload on (the default), no ``--reload``."""
    port = free_port()
    script = tmp_path / "plain_app.py"
    edit(script, QUICKSTART_APP.format(text="version 1", port=port), step=1)
    output = tmp_path / "output.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHERRYPIT_RELOADER")}
    with output.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(script)], cwd=tmp_path, env=env,
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )
    app = Supervised(proc, port, output)
    try:
        app.wait_for_body("version 1")

        edit(script, "import cherrypit\n\nclass Root(:\n    pass\n", step=2)
        app.wait_for(lambda: "waiting for one of" in app.log(), "report of the failure")
        assert "SyntaxError" in app.log()
        assert proc.poll() is None  # the same process, now supervising

        edit(script, QUICKSTART_APP.format(text="version 3", port=port), step=3)
        app.wait_for_body("version 3")

        edit(script, QUICKSTART_APP.format(text="version 4", port=port), step=4)
        app.wait_for_body("version 4")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=TIMEOUT) == 0
        assert app.body() is None
    finally:
        kill_tree(proc)
