"""``run``/``routes`` serve what ``python app.py`` serves: the module's config, factories,
Applications, modules that mount themselves; ``routes`` under ``popargs``."""

from __future__ import annotations

import gzip
import http.client
import json
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

from cherrypit import cli
from cherrypit.testing import free_port

# The tutorial's REST application (docs/tutorial.md, section 8), shortened.
REST_NOTES = textwrap.dedent(
    """
    import cherrypit


    class Notes:
        exposed = True

        def GET(self, note_id=None):
            return [{"id": 1, "text": "buy milk"}]

        def DELETE(self, note_id):
            cherrypit.response.status = 204


    class Api:
        def __init__(self):
            self.notes = Notes()


    config = {
        "/": {
            "request.dispatch": cherrypit.dispatch.MethodDispatcher(),
            "tools.json_out.on": True,
        }
    }


    def mount():
        return cherrypit.tree.mount(Api(), "/api", config)


    def make_app():
        return cherrypit.Application(Api(), "/v2", config)
    """
)

# The README's first example: `python notes.py` gzips.
GZIP_NOTES = textwrap.dedent(
    """
    import cherrypit


    class Notes:
        @cherrypit.expose
        def index(self):
            return "Try cherrypit " * 20


    config = {"/": {"tools.gzip.on": True}}
    """
)

SELF_MOUNTING = textwrap.dedent(
    """
    import cherrypit
    from rest_notes import Api, config

    cherrypit.tree.mount(Api(), "/inside", config)
    application = cherrypit.tree
    """
)

BLOG = textwrap.dedent(
    """
    import cherrypit


    class Posts:
        @cherrypit.expose
        def index(self, username):
            return f"posts of {username}"


    @cherrypit.popargs("username")
    class Users:
        def __init__(self):
            self.posts = Posts()

        @cherrypit.expose
        def index(self, username=None):
            return f"user {username}"


    class Root:
        def __init__(self):
            self.users = Users()
    """
)

MODULES = ("rest_notes", "gzip_notes", "self_mounting", "blog_popargs")


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name, source in zip(MODULES, (REST_NOTES, GZIP_NOTES, SELF_MOUNTING, BLOG), strict=True):
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    for name in MODULES:
        sys.modules.pop(name, None)


def routes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert cli.main(["routes", *argv]) == 0, capsys.readouterr().err
    return [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]


# --- routes: which shapes are understood ---------------------------------------------------


def test_routes_of_a_root_object_use_its_modules_config(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert routes(["rest_notes:Api"], capsys) == [
        "/notes rest_notes.Notes [DELETE, GET, HEAD]",
    ]


def test_routes_of_a_factory_that_mounts(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert routes(["rest_notes:mount()"], capsys) == [
        "/api/notes rest_notes.Notes [DELETE, GET, HEAD]",
    ]


def test_routes_of_a_factory_returning_an_application(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert routes(["rest_notes:make_app()"], capsys) == [
        "/v2/notes rest_notes.Notes [DELETE, GET, HEAD]",
    ]


@pytest.mark.parametrize("target", ["self_mounting", "self_mounting:application"])
def test_routes_of_a_module_that_mounts_itself(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    assert routes([target], capsys) == ["/inside/notes rest_notes.Notes [DELETE, GET, HEAD]"]


def test_a_factory_that_mounts_nothing_is_a_one_line_error(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (app_dir / "rest_notes.py").write_text(REST_NOTES + "\n\ndef nothing():\n    return None\n")
    assert cli.main(["routes", "rest_notes:nothing()"]) == 2
    assert capsys.readouterr().err.startswith(
        "cherrypit: error: 'rest_notes:nothing()' mounted no application on cherrypit.tree"
    )


def test_a_config_file_wins_over_the_modules_config(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (app_dir / "plain.conf").write_text(
        "[/]\nrequest.dispatch = cherrypit.dispatch.Dispatcher()\n"
    )
    assert routes(["rest_notes:Api", "-c", "plain.conf"], capsys) == ["(no exposed handlers)"]


def test_routes_under_popargs_list_children_below_the_taken_segments(
    site_reset: None, app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert routes(["blog_popargs:Root"], capsys) == [
        "/users/ blog_popargs.Users.index",
        "/users/{username} blog_popargs.Users [dynamic: popargs(username) on this object]",
        "/users/{username}/posts/ blog_popargs.Posts.index",
    ]


# --- run: serving them --------------------------------------------------------------------


def _serve(app_dir: Path, *argv: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cherrypit", "run", *argv,
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=app_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"cherrypit run exited early: {proc.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    proc.communicate()
    raise AssertionError("nothing listened")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _get(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.mark.e2e
def test_run_serves_the_tutorials_rest_app_with_its_config(app_dir: Path) -> None:
    proc, port = _serve(app_dir, "rest_notes:Api")
    try:
        status, headers, body = _get(port, "/notes")
        assert status == 200
        assert headers["content-type"] == "application/json"
        assert json.loads(body) == [{"id": 1, "text": "buy milk"}]
    finally:
        _stop(proc)


@pytest.mark.e2e
def test_run_keeps_the_modules_gzip_config(app_dir: Path) -> None:
    proc, port = _serve(app_dir, "gzip_notes:Notes")
    try:
        status, headers, body = _get(port, "/", **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers.get("content-encoding") == "gzip"
        assert gzip.decompress(body).startswith(b"Try cherrypit")
    finally:
        _stop(proc)
