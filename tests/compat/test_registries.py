"""Registries CherryPy keeps on classes, which libraries and applications extend.

Each test is written from a pattern found in public code: ``cherrypy-cors`` adds its
toolbox to ``Application.toolboxes``; CherryPy's docs add a request namespace through
``app.request_class.namespaces``; middleware is appended to ``app.wsgiapp.pipeline``.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import cherrypit as cherrypy
from cherrypit.testing import Client


def _cors_style_install() -> Any:
    """What ``cherrypy_cors.install()`` does: a toolbox of its own, on the class."""

    def expose_public() -> None:
        cherrypy.response.headers["Access-Control-Allow-Origin"] = "*"

    tools = cherrypy._cptools.Toolbox("cors")
    tools.expose_public = cherrypy.Tool("before_handler", expose_public)
    cherrypy._cptree.Application.toolboxes.update(cors=tools)
    return tools


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "hello"


def test_a_toolbox_added_to_the_class_configures_tools_over_http(live_server: str) -> None:
    _cors_style_install()
    cherrypy.tree.mount(Root(), "", {"/": {"cors.expose_public.on": True}})
    with urllib.request.urlopen(live_server + "/", timeout=10) as answer:
        assert answer.read() == b"hello"
        assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_a_toolbox_added_after_mounting_reaches_the_mounted_app(site_reset: None) -> None:
    app = cherrypy.tree.mount(Root(), "")
    _cors_style_install()
    assert "cors" in app.toolboxes
    app.merge({"/": {"cors.expose_public.on": True}})
    assert Client().get("/").header("Access-Control-Allow-Origin") == "*"


def test_the_class_toolboxes_hold_the_site_toolbox(site_reset: None) -> None:
    assert cherrypy.Application.toolboxes["tools"] is cherrypy.tools
    assert cherrypy.tree.mount(Root(), "").toolboxes is cherrypy.Application.toolboxes


def test_a_request_namespace_of_the_app_gives_path_config_a_meaning(site_reset: None) -> None:
    seen: list[tuple[str, Any]] = []

    def shout_namespace(key: str, value: Any) -> None:
        seen.append((key, value))
        if key == "output" and value == "upper":
            handler = cherrypy.request.handler

            def upper() -> str:
                return str(handler()).upper()

            cherrypy.request.handler = upper

    app = cherrypy.tree.mount(Root(), "", {"/": {"shout.output": "upper"}})
    app.request_class.namespaces["shout"] = shout_namespace
    assert Client().get("/").text == "HELLO"
    assert seen == [("output", "upper")]


def test_a_context_manager_namespace_is_entered_around_its_keys(site_reset: None) -> None:
    events: list[str] = []

    class Recorder:
        def __enter__(self) -> None:
            events.append("enter")

        def __exit__(self, *exc: object) -> None:
            events.append("exit")

        def __call__(self, key: str, value: Any) -> None:
            events.append(f"{key}={value}")

    cherrypy.tree.mount(Root(), "", {"/": {"rec.a": 1, "rec.b": 2}})
    cherrypy.Application.request_class.namespaces["rec"] = Recorder()
    assert Client().get("/").status == 200
    assert events == ["enter", "a=1", "b=2", "exit"]


def test_an_app_namespace_on_the_class_is_copied_into_new_apps(site_reset: None) -> None:
    got: list[tuple[str, Any]] = []
    cherrypy.Application.namespaces["db"] = lambda k, v: got.append((k, v))
    app = cherrypy.Application(Root(), "", {"/": {"db.scheme": "sqlite://"}})
    assert got == [("scheme", "sqlite://")]
    assert app.namespaces is not cherrypy.Application.namespaces


def test_request_and_response_classes_are_the_apps_to_choose(site_reset: None) -> None:
    class TaggedResponse(cherrypy._cprequest.Response):  # type: ignore[misc]
        tagged = True

    class Peek:
        @cherrypy.expose
        def index(self) -> str:
            return str(getattr(cherrypy.response, "tagged", False))

    app = cherrypy.tree.mount(Peek(), "")
    assert app.request_class is cherrypy._cprequest.Request
    app.response_class = TaggedResponse
    assert Client().get("/").text == "True"


def test_middleware_appended_to_the_wsgiapp_pipeline_wraps_the_app(site_reset: None) -> None:
    def shout(app: Callable[..., Iterable[bytes]], suffix: bytes = b"") -> Callable[..., Any]:
        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            return [b"".join(app(environ, start_response)).upper() + suffix]

        return middleware

    app = cherrypy.Application(Root())
    app.wsgiapp.pipeline.append(("shout", shout))
    app.wsgiapp.config["shout"] = {"suffix": b"!"}
    cherrypy.tree.mount(app)
    assert Client().get("/").body == b"HELLO!"


def test_headers_a_tool_appends_as_bytes_after_finalize_are_sent(site_reset: None) -> None:
    def append_headers() -> None:
        cherrypy.serving.response.header_list.extend(
            [(b"WWW-Authenticate", b"Negotiate"), (b"WWW-Authenticate", b'Basic realm="x"')]
        )

    cherrypy.tools.append_headers = cherrypy.Tool("on_end_resource", append_headers)
    cherrypy.tree.mount(Root(), "", {"/": {"tools.append_headers.on": True}})
    answer = Client().get("/")
    assert answer.header_values("WWW-Authenticate") == ["Negotiate", 'Basic realm="x"']


def test_a_bytes_header_value_is_sent_as_its_text(site_reset: None) -> None:
    class Bytes:
        @cherrypy.expose
        def index(self) -> str:
            cherrypy.response.headers["Bytes-Header"] = b"given as bytes"  # type: ignore[assignment]
            return "ok"

    cherrypy.tree.mount(Bytes(), "")
    assert Client().get("/").header("Bytes-Header") == "given as bytes"
