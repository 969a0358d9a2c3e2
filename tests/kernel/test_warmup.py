"""The start-up warm-up: work of the first request done at engine start, unobservably."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel import site, warmup
from cherrypit.plugin import Tool, WarmupProbe, hookimpl
from cherrypit.testing import Client, LogRecords, site_context


class _Counting:
    """A root that records every call of application code."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @cherrypit.expose
    def index(self) -> str:
        self.calls.append("index")
        return "home"

    @cherrypit.expose
    def default(self, *args: Any) -> str:
        self.calls.append("default")
        return "default"

    def _cp_dispatch(self, vpath: list[str]) -> Any:
        self.calls.append("_cp_dispatch")
        return None


class _Static:
    @cherrypit.expose
    def index(self) -> str:
        return "static"


def _start_and_stop() -> None:
    cherrypit.engine.start()
    cherrypit.engine.stop()


def test_engine_start_builds_plans_without_running_application_code() -> None:
    root = _Counting()
    root.docs = _Static()  # type: ignore[attr-defined]
    app = cherrypit.tree.mount(root, "", {"/docs": {"response.headers.X-Docs": "1"}})
    seen: list[str] = []
    cherrypit.engine.subscribe("before_request", lambda: seen.append("before_request"))
    cherrypit.engine.subscribe("after_request", lambda: seen.append("after_request"))

    _start_and_stop()

    # One plan for "/" and one for the "/docs" section: no request builds them.
    assert len(app._plans) == 2
    assert app.wsgiapp.head is not None
    assert root.calls == []
    assert seen == []

    client = Client()
    assert client.get("/").body == b"home"
    assert client.get("/docs/").headers["x-docs"] == "1"
    assert len(app._plans) == 2
    assert root.calls == ["index"]


def test_warm_up_writes_no_access_line_and_logs_no_error(error_log: LogRecords) -> None:
    cherrypit.tree.mount(_Counting(), "")
    access = LogRecords()
    cherrypit.log.access_log.addHandler(access)
    try:
        _start_and_stop()
    finally:
        cherrypit.log.access_log.removeHandler(access)
    assert access.records == []
    assert [r for r in error_log.records if "ENGINE Bus" not in r.getMessage()] == []


#: With no plugin (this folder), the probe sends only what the kernel answers alone.
_PROBE_ANSWERS = {
    ("/", "200 OK"),
    ("/missing", "404 Not Found"),
    ("/page/7?a=1&b=%C3%A9", "200 OK"),
}


def test_probe_requests_go_through_the_gateway_and_are_answered() -> None:
    assert set(warmup._exercise_cycle()) == _PROBE_ANSWERS


def test_with_request_channel_subscribers_the_probe_enters_below_the_gateway() -> None:
    seen: list[str] = []
    cherrypit.engine.subscribe("before_request", lambda: seen.append("before_request"))
    assert set(warmup._exercise_cycle()) == _PROBE_ANSWERS
    assert seen == []


def test_probe_lines_reach_no_handler_of_the_site(error_log: LogRecords) -> None:
    access = LogRecords()
    root_logger = logging.getLogger()
    root_logger.addHandler(access)
    try:
        warmup._exercise_cycle()
    finally:
        root_logger.removeHandler(access)
    assert access.records == []
    assert error_log.records == []


def test_exposed_methods_of_the_root_are_walked_at_start_without_being_called() -> None:
    root = _Counting()
    app = cherrypit.tree.mount(root, "")
    _start_and_stop()
    walked = {key[1] for key in app.walk_cache() if len(key) == 2}
    assert {"/", "/index", "/default"} <= walked
    assert root.calls == []


def test_first_requests_for_positional_arguments_and_404s_need_no_walk(
    walked_paths: list[str],
) -> None:
    class Shop:
        @cherrypit.expose
        def index(self) -> str:
            return "shop"

        @cherrypit.expose
        def item(self, number: str) -> str:
            return f"item {number}"

    cherrypit.tree.mount(Shop(), "")
    _start_and_stop()
    walked_paths.clear()  # what start-up walked: only the requests' walks count
    client = Client()
    assert client.get("/item/7").text == "item 7"
    assert client.get("/nope").status == 404
    assert walked_paths == []


def test_first_requests_below_a_config_section_need_no_walk(walked_paths: list[str]) -> None:
    class Site:
        @cherrypit.expose
        def index(self) -> str:
            return "home"

        @cherrypit.expose
        def default(self, *args: str) -> str:
            return "/".join(args)

    cherrypit.tree.mount(Site(), "", {"/files": {"response.headers.X-Files": "yes"}})
    _start_and_stop()
    walked_paths.clear()  # what start-up walked: only the requests' walks count
    response = Client().get("/files/report.pdf")
    assert response.text == "files/report.pdf"
    assert response.headers["x-files"] == "yes"
    assert walked_paths == []


def test_paths_through_descriptors_get_no_open_walk() -> None:
    class Node:
        @property
        def exposed(self) -> bool:
            raise AssertionError("read at start")

    class Root:
        node = Node()

        @property
        def report(self) -> Any:
            raise AssertionError("read at start")

    assert warmup._open_paths(Root(), ["/", "/node", "/report", "/missing"]) == [
        "/0",
        "/missing/0",
    ]


def test_default_and_cp_dispatch_objects_get_no_open_walk() -> None:
    reads: list[str] = []

    class Fallback:
        exposed = True

        def __call__(self, *args: str) -> str:
            return "fallback"

        def __getattr__(self, name: str) -> Any:
            reads.append(name)
            raise AttributeError(name)

    class WithDefault:
        default = Fallback()

        @cherrypit.expose
        def index(self) -> str:
            return "home"

    class WithDispatch:
        _cp_dispatch = Fallback()

    assert warmup._open_paths(WithDefault(), ["/"]) == []
    assert warmup._open_paths(WithDispatch(), ["/"]) == []
    app = cherrypit.tree.mount(WithDefault(), "")
    warmup.prepare(app)
    assert reads == []


def test_a_root_whose_default_is_a_property_gets_no_open_walk_at_start() -> None:
    reads: list[str] = []

    class Guarded:
        @cherrypit.expose
        def index(self) -> str:
            return "home"

        @cherrypit.expose
        def page(self, number: str) -> str:
            return number

        @property
        def default(self) -> Any:
            reads.append("default")
            return None

    cherrypit.tree.mount(Guarded(), "")
    _start_and_stop()
    assert reads == []
    assert Client().get("/page/3").text == "3"


def test_properties_on_the_way_are_not_read_at_start() -> None:
    reads: list[str] = []

    class Child:
        @property
        def exposed(self) -> bool:
            reads.append("child.exposed")
            return True

    class Root:
        child = Child()

        @property
        def index(self) -> Any:
            reads.append("index")
            raise RuntimeError("read at start")

    cherrypit.tree.mount(Root(), "", {"/child": {"response.headers.X-Child": "1"}})
    _start_and_stop()
    assert reads == []


def test_roots_that_make_attributes_up_are_not_walked_at_start() -> None:
    reads: list[str] = []

    class Dynamic:
        @cherrypit.expose
        def page(self) -> str:
            return "page"

        def __getattr__(self, name: str) -> Any:
            reads.append(name)
            raise AttributeError(name)

    class WithProperty:
        @property
        def report(self) -> Any:
            reads.append("report")
            return None

    assert warmup._root_pages(Dynamic()) == []
    assert warmup._root_pages(WithProperty()) == []
    assert reads == []


def test_the_probe_ignores_the_site_config() -> None:
    calls: list[str] = []
    cherrypit.config.update({"hooks.before_handler": lambda: calls.append("hook")})
    warmup.warm_up(site.tree)
    assert calls == []


def test_custom_dispatchers_are_not_called_at_start() -> None:
    calls: list[str] = []

    def dispatcher(path: str) -> None:
        calls.append(path)
        cherrypit.request.handler = lambda: "custom"

    cherrypit.tree.mount(_Counting(), "", {"/": {"request.dispatch": dispatcher}})
    _start_and_stop()
    assert calls == []
    assert Client().get("/").body == b"custom"


def test_a_failing_warm_up_does_not_stop_the_start(
    error_log: LogRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail() -> Any:
        raise RuntimeError("attribute access fails")

    monkeypatch.setattr(warmup, "_exercise_cycle", fail)
    cherrypit.tree.mount(_Counting(), "")
    cherrypit.engine.start()
    try:
        assert cherrypit.engine.state == cherrypit.engine.states.STARTED
    finally:
        cherrypit.engine.stop()
    assert "warm-up failed" in error_log.text()
    assert "attribute access fails" in error_log.text()


class _ProbingPlugin:
    """A stub plugin with a tool of its own and a warm-up probe that turns it on."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def cherrypit_register_tools(self, toolbox: Any) -> None:
        toolbox.stamp = Tool("before_handler", lambda: self.calls.append("stamp"))

    @hookimpl
    def cherrypit_warmup_probes(self) -> dict[str, WarmupProbe]:
        return {"/stamped": WarmupProbe({"tools.stamp.on": True}, "/stamped/1?x=2")}


def test_a_plugin_probe_runs_its_tool_at_engine_start() -> None:
    stub = _ProbingPlugin()
    with site_context(autoload=False, plugins=[("stub", stub)]):
        cherrypit.tree.mount(_Counting(), "")
        answers = warmup._exercise_cycle()
    assert ("/stamped/1?x=2", "200 OK") in answers
    assert stub.calls == ["stamp"] * warmup._ROUNDS


def test_a_malformed_probe_is_refused_by_name() -> None:
    class Broken:
        @hookimpl
        def cherrypit_warmup_probes(self) -> dict[str, Any]:
            return {"/a/b": WarmupProbe({}, "/a/b")}

    with site_context(autoload=False, plugins=[("broken", Broken())]):
        with pytest.raises(TypeError, match="'/a/b'"):
            warmup._exercise_cycle()


def test_root_pages_follow_attribute_lookup_order() -> None:
    class Base:
        @cherrypit.expose
        def report(self) -> str:
            return "base"

        @cherrypit.expose
        def about(self) -> str:
            return "about"

    class Child(Base):
        def report(self) -> str:  # overridden, no longer exposed
            return "child"

    child = Child()
    child.about = "not a page"  # type: ignore[assignment,method-assign]
    assert warmup._root_pages(Child()) == ["/about"]
    assert warmup._root_pages(child) == []
