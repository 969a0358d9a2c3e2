"""The ``cherrypit`` command line: plugins table, routes, target errors, run, plugin commands."""

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
from typing import Any

import pytest

from cherrypit import cli
from cherrypit._kernel import pluginmanager
from cherrypit.plugin import hookimpl
from cherrypit.testing import free_port, site_context

SAMPLE_APP = textwrap.dedent(
    """
    import cherrypit as cherrypy


    class Users:
        exposed = True

        def GET(self, uid=None):
            return "user"

        def POST(self, **kw):
            return "created"


    class Api:
        def __init__(self):
            self.users = Users()


    @cherrypy.popargs("year", "month")
    class Archive:
        @cherrypy.expose
        def index(self, year=None, month=None):
            return "archive"


    class Dynamic:
        def _cp_dispatch(self, vpath):
            return self

        @cherrypy.expose
        def show(self):
            return "shown"


    class Root:
        def __init__(self):
            self.api = Api()
            self.archive = Archive()
            self.dyn = Dynamic()
            self.myself = self
            self.title = "not a handler"

        @cherrypy.expose
        def index(self):
            return "home"

        @cherrypy.expose
        def about(self):
            return "about"

        @cherrypy.expose
        def default(self, *args):
            return "fallback"

        def helper(self):
            return "not exposed"

        @property
        def explosive(self):
            raise RuntimeError("routes must not run property code")


    mounted = cherrypy.Application(Root(), "/mounted")


    def wsgi_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"plain wsgi"]
    """
)

REST_CONF = """\
[/api]
request.dispatch = cherrypit.dispatch.MethodDispatcher()
"""


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory holding ``cli_sample.py``; imports are undone afterwards."""
    (tmp_path / "cli_sample.py").write_text(SAMPLE_APP)
    (tmp_path / "rest.conf").write_text(REST_CONF)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    yield tmp_path
    sys.modules.pop("cli_sample", None)


# --- plugins ---------------------------------------------------------------------------


class StubPlugin:
    """Adds the ``hello`` sub-command."""

    @hookimpl
    def cherrypit_add_cli_commands(self, subparsers: Any) -> None:
        parser = subparsers.add_parser("hello", help="say hello")
        parser.add_argument("name")
        parser.set_defaults(func=lambda args: print(f"hello {args.name}") or 3)


def test_plugins_table_lists_installed_plugins(
    site_reset: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "ENABLED"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    expected = {info.name: info for info in pluginmanager.plugin_infos()}
    assert set(rows) == set(expected)
    assert rows["server"] == [expected["server"].distribution, expected["server"].version, "yes"]


def test_plugins_table_shows_disabled_plugins(
    site_reset: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "off.conf"
    conf.write_text('[global]\nplugins.disable = ["server"]\n')
    assert cli.main(["plugins", "-c", str(conf)]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert rows["server"][-1] == "no"


def test_plugin_adds_a_command_and_table_shows_it(capsys: pytest.CaptureFixture[str]) -> None:
    with site_context(autoload=False, plugins=[("stubcli", StubPlugin())]):
        assert cli.main(["hello", "world"]) == 3
        assert capsys.readouterr().out == "hello world\n"
        assert cli.main(["plugins"]) == 0
        out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["stubcli", "(stub)", "yes"]


def test_no_plugins_says_so(kernel: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plugins"]) == 0
    assert capsys.readouterr().out == "no plugins installed\n"


# --- routes ------------------------------------------------------------------------------


def test_routes_of_a_sample_app(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["routes", "cli_sample:Root", "-c", "rest.conf"]) == 0
    lines = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        "/ cli_sample.Root.index",
        "/about cli_sample.Root.about",
        "/api/users cli_sample.Users [GET, HEAD, POST]",
        "/archive/ cli_sample.Archive.index",
        "/archive/{year}/{month} cli_sample.Archive [dynamic: popargs(year, month) on this object]",
        "/dyn/show cli_sample.Dynamic.show",
        "/dyn/{...} cli_sample.Dynamic._cp_dispatch [dynamic: _cp_dispatch]",
        "/{...} cli_sample.Root.default [default: any path below]",
    ]


def test_routes_of_a_wsgi_callable(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["routes", "cli_sample:wsgi_app"]) == 0
    assert capsys.readouterr().out.split() == [
        "/{...}",
        "cli_sample.wsgi_app",
        "[WSGI",
        "application]",
    ]


def test_routes_of_an_application_use_its_script_name(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["routes", "cli_sample:mounted"]) == 0
    urls = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert urls[:2] == ["/mounted/", "/mounted/about"]
    assert "/mounted/dyn/show" in urls


def test_routes_of_a_cherrypy_script_stop_before_serving(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = app_dir / "legacy.py"
    script.write_text(
        textwrap.dedent(
            """
            import cherrypy

            class Root:
                @cherrypy.expose
                def index(self):
                    return "legacy"

            if __name__ == "__main__":
                cherrypy.quickstart(Root(), "/legacy")
                raise SystemExit("quickstart must not return here")
            """
        )
    )
    handler_before = signal.getsignal(signal.SIGTERM)
    try:
        assert cli.main(["routes", str(script), "--as-cherrypy"]) == 0
    finally:
        from cherrypit.compat import uninstall_cherrypy_alias

        uninstall_cherrypy_alias()
    assert capsys.readouterr().out.split() == ["/legacy/", "__main__.Root.index"]
    assert signal.getsignal(signal.SIGTERM) is handler_before


# --- bad targets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "no_such_module_xyz:app"], "cannot find module 'no_such_module_xyz'"),
        (["run", "cli_sample:Nope"], "module 'cli_sample' has no attribute 'Nope'"),
        (["run", "cli_sample"], "importing 'cli_sample' mounted no application"),
        (["run", "missing_file.py"], "no such file: 'missing_file.py'"),
        (["routes", "no_such_module_xyz:app"], "cannot find module"),
        (["run", "cli_sample:Root", "--environment", "nope"], "unknown environment 'nope'"),
        (["run", "cli_sample:Root", "-c", "absent.conf"], "config file not found"),
    ],
)
def test_bad_target_is_one_line_and_status_2(
    site_reset: None,
    app_dir: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cherrypit: error: ")
    assert message in lines[0]
    assert "Traceback" not in captured.err


def test_target_whose_import_fails_shows_where_in_the_users_code(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pkg = app_dir / "broken_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from broken_pkg import models\n")
    (pkg / "models.py").write_text("x = 1\nvalue = undefined_name + 1\n")
    try:
        assert cli.main(["run", "broken_pkg:app"]) == 2
    finally:
        for name in ("broken_pkg", "broken_pkg.models"):
            sys.modules.pop(name, None)
    assert capsys.readouterr().err.splitlines() == [
        "cherrypit: error: importing 'broken_pkg' failed: NameError: name 'undefined_name' "
        "is not defined",
        f'  File "{pkg / "__init__.py"}", line 1, in <module>',
        "    from broken_pkg import models",
        f'  File "{pkg / "models.py"}", line 2, in <module>',
        "    value = undefined_name + 1",
        "  (add --traceback for the whole traceback)",
    ]


def test_a_syntax_error_shows_the_line_and_traceback_shows_everything(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (app_dir / "typo_mod.py").write_text("def index(:\n    pass\n")
    try:
        assert cli.main(["routes", "typo_mod:Root"]) == 2
        short = capsys.readouterr().err
        assert cli.main(["routes", "typo_mod:Root", "--traceback"]) == 2
        full = capsys.readouterr().err
    finally:
        sys.modules.pop("typo_mod", None)
    lines = short.splitlines()
    assert lines[0].startswith("cherrypit: error: importing 'typo_mod' failed: SyntaxError:")
    assert f'  File "{app_dir / "typo_mod.py"}", line 1' in lines
    assert "    def index(:" in lines
    assert "importlib" not in short
    assert full.startswith("Traceback (most recent call last):")
    assert "importlib" in full and "SyntaxError" in full
    assert full.splitlines()[-1] == lines[0]


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


# --- run (subprocess) -------------------------------------------------------------------


def _cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _wait_for_port(port: int, proc: subprocess.Popen[str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"cherrypit run exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port} within {timeout} s")


@pytest.mark.e2e
def test_run_serves_until_sigterm(app_dir: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cherrypit",
            "run",
            "cli_sample:Root",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=app_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_cli_env(),
    )
    try:
        _wait_for_port(port, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/about")
            response = conn.getresponse()
            assert response.status == 200
            assert response.read() == b"about"
        finally:
            conn.close()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    url_lines = [line for line in out.splitlines() if f"127.0.0.1:{port}" in line]
    assert url_lines == [f"Serving on http://127.0.0.1:{port}/"]


@pytest.mark.e2e
def test_run_reports_a_port_in_use_in_one_line(app_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "cherrypit",
                "run",
                "cli_sample:Root",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=app_dir,
            capture_output=True,
            text=True,
            timeout=30,
            env=_cli_env(),
        )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"cherrypit: cannot start serving: server.socket_port: port 127.0.0.1:{port} is "
        "already in use"
    ]


SIGTERM_DURING_START = """
import os
import signal

import cherrypit


class Root:
    @cherrypit.expose
    def index(self):
        return "ok"


def stop_me_now():
    # A supervisor's SIGTERM arriving while the engine is still starting.
    os.kill(os.getpid(), signal.SIGTERM)


stop_me_now.priority = 90  # after the HTTP server started listening
cherrypit.engine.subscribe("start", stop_me_now)
"""


@pytest.mark.e2e
def test_a_sigterm_while_starting_still_stops_cleanly(app_dir: Path) -> None:
    (app_dir / "early_term.py").write_text(SIGTERM_DURING_START)
    result = subprocess.run(
        [sys.executable, "-m", "cherrypit", "run", "early_term:Root",
         "--host", "127.0.0.1", "--port", str(free_port())],
        cwd=app_dir, capture_output=True, text=True, env=_cli_env(), timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "Caught signal SIGTERM" in result.stderr
    assert "Bus EXITED" in result.stderr
