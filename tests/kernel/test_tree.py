"""The tree of mount points and the Application object."""

from __future__ import annotations

import io
from typing import Any

import pytest

import cherrypit
from cherrypit.testing import Client


def named(name: str) -> Any:
    class R:
        @cherrypit.expose
        def index(self, *args: str) -> str:
            req = cherrypit.request
            return f"{name}:{req.script_name}|{req.path_info}|{'/'.join(args)}"

        @cherrypit.expose
        def default(self, *args: str) -> str:
            return f"{name} default:{'/'.join(args)}"

    return R()


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"wsgi {environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]


def test_several_apps_under_different_script_names() -> None:
    cherrypit.tree.mount(named("root"), "")
    cherrypit.tree.mount(named("a"), "/a")
    cherrypit.tree.mount(named("b"), "/b")
    c = Client()
    assert c.get("/").text == "root:|/|"
    assert c.get("/a/").text == "a:/a|/|"
    assert c.get("/b/").text == "b:/b|/|"
    assert c.get("/c").text == "root default:c"


def test_longest_prefix_wins() -> None:
    cherrypit.tree.mount(named("a"), "/a")
    cherrypit.tree.mount(named("ab"), "/a/b")
    c = Client()
    assert c.get("/a/b/").text == "ab:/a/b|/|"
    assert c.get("/a/b").text == "ab:/a/b||"
    # a segment that merely starts like a mount point is not that mount point
    assert c.get("/a/bc").text == "a default:bc"
    assert c.get("/a/x").text == "a default:x"


def test_no_app_is_404() -> None:
    cherrypit.tree.mount(named("a"), "/a")
    c = Client()
    r = c.get("/")
    assert r.status == 404
    assert c.get("/ab").status == 404


def test_empty_tree_is_404() -> None:
    assert Client().get("/").status == 404


def test_graft_plain_wsgi_app() -> None:
    cherrypit.tree.graft(wsgi_app, "/w")
    cherrypit.tree.mount(named("root"), "")
    c = Client()
    assert c.get("/w").text == "wsgi /w|"
    assert c.get("/w/x/y").text == "wsgi /w|/x/y"
    assert c.get("/").text == "root:|/|"


def test_graft_at_root_alone() -> None:
    cherrypit.tree.graft(wsgi_app)
    assert Client().get("/p").text == "wsgi |/p"


def test_trailing_slash_in_script_name_is_dropped() -> None:
    app = cherrypit.tree.mount(named("a"), "/a/")
    assert app.script_name == "/a"
    assert "/a" in cherrypit.tree.apps
    assert Client().get("/a/").text == "a:/a|/|"


def test_mount_none_script_name_is_type_error() -> None:
    with pytest.raises(TypeError):
        cherrypit.tree.mount(named("x"), None)  # type: ignore[arg-type]


def test_mount_application_object() -> None:
    app = cherrypit.Application(named("obj"), "/obj")
    assert cherrypit.tree.mount(app) is app
    assert cherrypit.tree.apps["/obj"] is app
    assert Client().get("/obj/").text == "obj:/obj|/|"


def test_mount_application_at_other_script_name_is_an_error() -> None:
    app = cherrypit.Application(named("obj"), "/obj")
    with pytest.raises(ValueError, match="script name"):
        cherrypit.tree.mount(app, "/else")


def test_script_name_lookup() -> None:
    cherrypit.tree.mount(named("a"), "/a")
    cherrypit.tree.mount(named("ab"), "/a/b")
    tree = cherrypit.tree
    assert tree.script_name("/a/b/c") == "/a/b"
    assert tree.script_name("/a/x") == "/a"
    assert tree.script_name("/q") is None
    cherrypit.tree.mount(named("root"), "")
    assert tree.script_name("/q") == ""


def test_script_name_matches_whole_segments_only() -> None:
    cherrypit.tree.mount(named("a"), "/a")
    cherrypit.tree.mount(named("ab"), "/a/b")
    tree = cherrypit.tree
    assert tree.script_name("/ab") is None
    assert tree.script_name("/a/bc") == "/a"
    assert tree.script_name("/a/b/") == "/a/b"
    assert tree.script_name("/a/") == "/a"
    assert tree.script_name("/a" + "/b" * 40_000) == "/a/b"
    assert tree.script_name("") is None


def test_script_name_of_current_request() -> None:
    seen: list[Any] = []

    class R:
        @cherrypit.expose
        def index(self) -> str:
            seen.append(cherrypit.tree.script_name())
            return ""

    cherrypit.tree.mount(R(), "/x")
    Client().get("/x/")
    assert seen == ["/x"]


def test_outer_script_name_is_part_of_the_path() -> None:
    cherrypit.tree.mount(named("a"), "/prefix/a")
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: Any, exc: Any = None) -> None:
        captured["status"] = status

    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/prefix",
        "PATH_INFO": "/a/",
        "SERVER_NAME": "h",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "h",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    body = b"".join(cherrypit.tree(environ, start_response))
    assert captured["status"] == "200 OK"
    assert body == b"a:/prefix/a|/|"


def test_double_slashes_are_collapsed() -> None:
    cherrypit.tree.mount(named("a"), "/a")
    assert Client().get("/a//").text == "a:/a|/|"


def test_application_is_a_wsgi_callable_on_its_own() -> None:
    app = cherrypit.Application(named("solo"), "")
    r = Client(app=app).get("/x/y")
    assert r.text == "solo default:x/y"


def test_find_config_nearest_section_then_global() -> None:
    app = cherrypit.tree.mount(
        named("a"),
        "/a",
        {"/": {"myapp.k": 1}, "/x": {"myapp.k": 2}, "/x/y": {"myapp.j": 3}},
    )
    cherrypit.config.update({"myapp.g": "glob"})
    assert app.find_config("/x/y/z", "myapp.k") == 2
    assert app.find_config("/x/y", "myapp.j") == 3
    assert app.find_config("/q", "myapp.k") == 1
    assert app.find_config("/", "myapp.k") == 1
    assert app.find_config("/q", "myapp.g") == "glob"
    assert app.find_config("/q", "missing", "dflt") == "dflt"


def test_find_config_without_root_section() -> None:
    app = cherrypit.tree.mount(named("a"), "", {"/x": {"myapp.k": 2}})
    assert app.find_config("/x/deep", "myapp.k") == 2
    assert app.find_config("/other", "myapp.k", "none") == "none"


def test_application_merge_accumulates_sections() -> None:
    app = cherrypit.tree.mount(named("a"), "", {"/": {"myapp.a": 1}})
    app.merge({"/": {"myapp.b": 2}, "/p": {"myapp.c": 3}})
    assert app.config == {"/": {"myapp.a": 1, "myapp.b": 2}, "/p": {"myapp.c": 3}}


def test_per_app_dispatcher_in_path_section() -> None:
    @cherrypit.expose
    class Res:
        def GET(self) -> str:
            return "rest"

    class R:
        api = Res()

        @cherrypit.expose
        def index(self) -> str:
            return "plain"

    cherrypit.tree.mount(
        R(), "", {"/api": {"request.dispatch": cherrypit.dispatch.MethodDispatcher()}}
    )
    c = Client()
    assert c.get("/").text == "plain"
    assert c.get("/api").text == "rest"
    assert c.post("/api", body="").status == 405


def test_app_log_namespace() -> None:
    app = cherrypit.tree.mount(named("a"), "", {"/": {"log.screen": False}})
    assert app.log.screen is False
    app.merge({"/": {"log.nope": 1}})  # CherryPy sets it on the app's log
    assert app.log.nope == 1  # type: ignore[attr-defined]


def test_checker_warns_about_misplaced_settings(caplog: pytest.LogCaptureFixture) -> None:
    cherrypit.tree.mount(
        named("a"),
        "/a",
        {"/": {"engine.autoreload.on": False}, "/a/sub": {"myapp.x": 1}},
    )
    with caplog.at_level("WARNING"):
        cherrypit.checker()
    assert "engine.autoreload.on" in caplog.text
    assert "[/a/sub]" in caplog.text


def test_checker_off_is_silent(caplog: pytest.LogCaptureFixture) -> None:
    cherrypit.tree.mount(named("a"), "/a", {"/": {"engine.autoreload.on": False}})
    cherrypit.config.update({"checker.on": False})
    with caplog.at_level("WARNING"):
        cherrypit.checker()
    assert caplog.text == ""


def test_application_with_script_name_none_takes_it_from_the_environ() -> None:
    app = cherrypit.Application(named("late"), None)  # type: ignore[arg-type]
    cherrypit.tree.graft(app, "/x")
    c = Client()
    assert c.get("/x/").text == "late:/x|/|"
    assert c.get("/x/y").text == "late default:y"
