"""Hooks (priority, failsafe) and the tool API with user-defined tools (no plugins)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel.hooks import POINTS, Hook, HookMap, run_hooks
from cherrypit.plugin import Attachment
from cherrypit.testing import Client

# --- Hook and HookMap -----------------------------------------------------------------


def test_hook_defaults_and_callable_attributes() -> None:
    def cb() -> None:
        pass

    h = Hook(cb)
    assert (h.priority, h.failsafe) == (50, False)
    cb.priority = 10  # type: ignore[attr-defined]
    cb.failsafe = True  # type: ignore[attr-defined]
    h = Hook(cb)
    assert (h.priority, h.failsafe) == (10, True)
    h = Hook(cb, failsafe=False, priority=70)
    assert (h.priority, h.failsafe) == (70, False)
    assert "cb" in repr(h)


def test_hook_passes_kwargs() -> None:
    got: dict[str, Any] = {}
    Hook(lambda **kw: got.update(kw), a=1, b=2)()
    assert got == {"a": 1, "b": 2}


def test_hookmap_attach_keeps_priority_order_and_insertion_order_among_equals() -> None:
    calls: list[str] = []
    hooks = HookMap()
    hooks.attach("before_handler", lambda: calls.append("b50"))
    hooks.attach("before_handler", lambda: calls.append("a10"), priority=10)
    hooks.attach("before_handler", lambda: calls.append("c50"))
    hooks.attach("before_handler", lambda: calls.append("d90"), priority=90)
    hooks.run("before_handler")
    assert calls == ["a10", "b50", "c50", "d90"]


def test_hookmap_knows_every_point() -> None:
    assert set(HookMap().keys()) == set(POINTS)
    assert "before_handler" in HookMap()
    with pytest.raises(KeyError, match="nope"):
        HookMap().attach("nope", lambda: None)


def test_hookmap_copy_on_write_does_not_touch_the_shared_plan() -> None:
    shared: dict[str, tuple[Hook, ...]] = {p: () for p in POINTS}
    shared["before_handler"] = (Hook(lambda: None),)
    hooks = HookMap(shared)
    hooks.attach("before_handler", lambda: None)
    assert len(shared["before_handler"]) == 1
    assert len(hooks.get("before_handler")) == 2
    clone = hooks.copy()
    clone.attach("before_handler", lambda: None)
    assert len(hooks.get("before_handler")) == 2


def test_run_hooks_failsafe_and_first_failure_reraised(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[str] = []

    def first() -> None:
        calls.append("first")
        raise ValueError("first failure")

    def second() -> None:
        calls.append("second")
        raise KeyError("second failure")

    hooks = [
        Hook(first, priority=1),
        Hook(lambda: calls.append("skipped"), priority=2),
        Hook(second, failsafe=True, priority=3),
        Hook(lambda: calls.append("failsafe"), failsafe=True, priority=4),
    ]
    with caplog.at_level(logging.ERROR), pytest.raises(ValueError, match="first failure"):
        run_hooks(hooks)
    assert calls == ["first", "second", "failsafe"]
    # unexpected errors are logged when they happen, so the second one is not lost
    assert "second failure" in caplog.text


def test_run_hooks_http_error_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    def deny() -> None:
        raise cherrypit.HTTPError(403)

    with caplog.at_level(logging.ERROR), pytest.raises(cherrypit.HTTPError):
        run_hooks([Hook(deny)])
    assert "Traceback" not in caplog.text


def test_run_hooks_lets_system_exit_through_immediately() -> None:
    calls: list[str] = []

    def leave() -> None:
        raise SystemExit(3)

    with pytest.raises(SystemExit):
        run_hooks([Hook(leave), Hook(lambda: calls.append("failsafe"), failsafe=True)])
    assert calls == []


# --- user tools -----------------------------------------------------------------------


def mark(value: str = "default", extra: Any = None) -> None:
    cherrypit.response.headers["X-Mark"] = f"{value}|{extra}"


def install_mark(priority: int = 50) -> None:
    cherrypit.tools.mark = cherrypit.Tool("before_finalize", mark, priority=priority)


def test_user_tool_via_decorator() -> None:
    install_mark()

    class R:
        @cherrypit.expose
        @cherrypit.tools.mark(value="deco", extra=1)
        def index(self) -> str:
            return "i"

    cherrypit.tree.mount(R())
    assert Client().get("/").headers["x-mark"] == "deco|1"


def test_user_tool_via_config_with_settings() -> None:
    install_mark()

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return "i"

        @cherrypit.expose
        def off(self) -> str:
            return "o"

    cherrypit.tree.mount(
        R(),
        "",
        {
            "/": {"tools.mark.on": True, "tools.mark.value": "conf"},
            "/off": {"tools.mark.on": False},
        },
    )
    c = Client()
    assert c.get("/").headers["x-mark"] == "conf|None"
    assert "x-mark" not in c.get("/off").headers


def test_user_tool_in_global_config() -> None:
    install_mark()
    cherrypit.config.update({"tools.mark.on": True})

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return "i"

    cherrypit.tree.mount(R())
    assert Client().get("/").headers["x-mark"] == "default|None"


def test_tool_priority_from_constructor_and_config() -> None:
    order: list[str] = []
    cherrypit.tools.first = cherrypit.Tool(
        "before_handler", lambda: order.append("first"), priority=10
    )
    cherrypit.tools.second = cherrypit.Tool(
        "before_handler", lambda: order.append("second"), priority=20
    )

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return ""

        @cherrypit.expose
        def swapped(self) -> str:
            return ""

    cherrypit.tree.mount(
        R(),
        "",
        {
            "/": {"tools.first.on": True, "tools.second.on": True},
            "/swapped": {"tools.first.priority": 30},
        },
    )
    c = Client()
    c.get("/")
    assert order == ["first", "second"]
    order.clear()
    c.get("/swapped")
    assert order == ["second", "first"]


def test_tool_exposes_its_arguments_as_attributes() -> None:
    install_mark()
    tool = cherrypit.tools.mark
    assert tool.value is None  # type: ignore[attr-defined]
    assert tool.extra is None  # type: ignore[attr-defined]
    assert tool.__doc__ == mark.__doc__


def test_tool_on_attribute_is_an_error_with_hint() -> None:
    install_mark()
    with pytest.raises(AttributeError, match=r"tools\.<name>\.on"):
        cherrypit.tools.mark.on  # noqa: B018


def test_tool_decorator_rejects_positional_arguments() -> None:
    install_mark()
    with pytest.raises(TypeError, match="keyword arguments"):
        cherrypit.tools.mark("x")


def test_toolbox_register_decorator() -> None:
    @cherrypit.tools.register("before_finalize")
    def stamp() -> None:
        cherrypit.response.headers["X-Stamp"] = "1"

    class R:
        @cherrypit.expose
        @cherrypit.tools.stamp()
        def index(self) -> str:
            return ""

    cherrypit.tree.mount(R())
    assert Client().get("/").headers["x-stamp"] == "1"


def test_deleting_a_user_tool() -> None:
    install_mark()
    del cherrypit.tools.mark
    with pytest.raises(AttributeError, match="no tool named 'mark'"):
        cherrypit.tools.mark  # noqa: B018


def test_handler_tool_can_replace_the_handler() -> None:
    def answer(text: str = "from tool") -> bool:
        if cherrypit.request.params.get("skip"):
            cherrypit.response.body = text.encode()
            return True
        return False

    tool = cherrypit.HandlerTool(answer)
    cherrypit.tools.answer = tool

    class R:
        @cherrypit.expose
        @cherrypit.tools.answer()
        def index(self, **kw: str) -> str:
            return "handler"

        static = tool.handler(text="mounted tool")

    cherrypit.tree.mount(R())
    c = Client()
    assert c.get("/").text == "handler"
    assert c.get("/?skip=1").text == "from tool"
    assert c.get("/static?skip=1").text == "mounted tool"
    assert c.get("/static").status == 404


def test_path_config_overrides_the_arguments_a_mounted_handler_tool_was_built_with() -> None:
    def answer(text: str = "default") -> bool:
        cherrypit.response.body = text.encode()
        return True

    tool = cherrypit.HandlerTool(answer)
    cherrypit.tools.answer = tool

    class R:
        built = tool.handler(text="built with")
        overridden = tool.handler(text="built with")

    cherrypit.tree.mount(R(), "", {"/overridden": {"tools.answer.text": "from config"}})
    c = Client()
    assert c.get("/built").text == "built with"
    assert c.get("/overridden").text == "from config"


def test_handler_wrapper_tool() -> None:
    def wrapper(inner: Any, *args: Any, **kwargs: Any) -> str:
        return f"wrapped({inner(*args, **kwargs)})"

    cherrypit.tools.wrap = cherrypit.HandlerWrapperTool(wrapper)

    class R:
        @cherrypit.expose
        @cherrypit.tools.wrap()
        def index(self, name: str = "x") -> str:
            return "inner " + name

    cherrypit.tree.mount(R())
    assert Client().get("/?name=y").text == "wrapped(inner y)"


def test_error_tool_replaces_error_response() -> None:
    def err(msg: str = "err") -> None:
        cherrypit.response.status = 503
        cherrypit.response.body = msg.encode()

    cherrypit.tools.err = cherrypit.ErrorTool(err)

    class R:
        @cherrypit.expose
        @cherrypit.tools.err(msg="custom err")
        def index(self) -> str:
            raise ValueError

    cherrypit.tree.mount(R())
    r = Client().get("/")
    assert (r.status, r.text) == (503, "custom err")


def test_tool_subclass_with_own_setup_runs_per_request() -> None:
    calls: list[str] = []

    class PerRequest(cherrypit.Tool):
        def _setup(self) -> None:
            calls.append("setup")
            cherrypit.request.hooks.attach("before_finalize", lambda: calls.append("ran"))

    cherrypit.tools.perreq = PerRequest("before_finalize", lambda: None)

    class R:
        @cherrypit.expose
        @cherrypit.tools.perreq()
        def index(self) -> str:
            return ""

    cherrypit.tree.mount(R())
    c = Client()
    c.get("/")
    c.get("/")
    assert calls == ["setup", "ran", "setup", "ran"]


def test_any_object_with_setup_is_a_tool() -> None:
    # CherryPy only calls ``_setup()`` on a tool that is on; it need not be a Tool.
    calls: list[str] = []

    class Uppercase:
        def _setup(self) -> None:
            calls.append("setup")

            def upper() -> None:
                cherrypit.response.body = [b"".join(cherrypit.response.body).upper()]

            cherrypit.request.hooks.attach("before_finalize", upper)

    cherrypit.tools.upper = Uppercase()

    @cherrypit.config(**{"tools.upper.on": True})
    class R:
        @cherrypit.expose
        def index(self) -> str:
            return "quiet"

    cherrypit.tree.mount(R())
    assert Client().get("/").text == "QUIET"
    assert calls == ["setup"]


def test_a_toolbox_registered_as_a_request_namespace_sets_up_its_tools() -> None:
    # CherryPy's pattern: a custom toolbox, its tools switched on by a decorator and
    # configured under its own namespace, added to ``request_class.namespaces``.
    box = cherrypit.Toolbox("myauth")

    def check_access(default: bool = False) -> None:
        if not default:
            raise cherrypit.HTTPError(401)

    box.check_access = cherrypit.Tool("before_request_body", check_access)

    class R:
        @cherrypit.expose
        @box.check_access()
        def closed(self) -> str:
            return "in"

        @cherrypit.expose
        @box.check_access()
        def opened(self) -> str:
            return "in"

    app = cherrypit.tree.mount(R(), "", {"/opened": {"myauth.check_access.default": True}})
    app.request_class.namespaces["myauth"] = box
    c = Client()
    assert c.get("/closed").status == 401
    assert (c.get("/opened").status, c.get("/opened").text) == (200, "in")


def test_a_context_manager_namespace_receives_keys_through_what_enter_returns() -> None:
    got: list[tuple[str, Any]] = []

    class Collector:
        def __enter__(self) -> Any:
            return lambda key, value: got.append((key, value))

        def __exit__(self, *exc: object) -> None:
            got.append(("exit", None))

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return ""

    app = cherrypit.tree.mount(R(), "", {"/": {"collect.a": 1}})
    app.request_class.namespaces["collect"] = Collector()
    Client().get("/")
    assert got == [("a", 1), ("exit", None)]


def test_tool_merged_args_inside_a_request() -> None:
    seen: dict[str, Any] = {}

    def probe(**settings: Any) -> None:
        seen["hook kwargs"] = settings
        seen["merged"] = cherrypit.tools.probe._merged_args({"extra": 1})

    cherrypit.tools.probe = cherrypit.Tool("before_handler", probe)

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return ""

    cherrypit.tree.mount(R(), "", {"/": {"tools.probe.on": True, "tools.probe.a": "b"}})
    Client().get("/")
    assert seen == {"hook kwargs": {"a": "b"}, "merged": {"a": "b", "extra": 1}}


class Banner:
    """A policy object built once per config, as a tool's hooks_for builds it."""

    built: list[dict[str, Any]] = []

    def __init__(self, text: str, header: str = "X-Banner") -> None:
        self.text, self.header = text, header
        Banner.built.append({"text": text, "header": header})

    def start(self) -> None:
        cherrypit.response.headers[self.header] = self.text

    def finish(self) -> None:
        cherrypit.response.headers[self.header + "-End"] = self.text


class BannerTool(cherrypit.Tool):
    def __init__(self) -> None:
        super().__init__("on_start_resource", Banner, priority=5)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        banner = Banner(**settings)
        return [
            Attachment(self._point, banner.start, priority),
            Attachment("before_finalize", banner.finish),
        ]


def test_tool_extension_point_builds_once_per_config() -> None:
    Banner.built.clear()
    cherrypit.tools.banner = BannerTool()

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return "i"

    conf = {"/": {"tools.banner.on": True, "tools.banner.text": "hi", "tools.banner.priority": 7}}
    cherrypit.tree.mount(R(), "", conf)
    # The start-up check builds the hooks once (so bad settings fail at mount) ...
    assert Banner.built == [{"text": "hi", "header": "X-Banner"}]
    client = Client()
    for _ in range(3):
        response = client.get("/")
        assert response.headers["x-banner"] == "hi"
        assert response.headers["x-banner-end"] == "hi"
    # ... and the plan once more for the path, never per request; on and priority
    # never reach the tool's settings.
    assert Banner.built == [{"text": "hi", "header": "X-Banner"}] * 2


def test_tool_extension_point_reports_type_errors_as_config_errors() -> None:
    cherrypit.tools.banner = BannerTool()

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return "i"

    # Refused when mounted, naming the section and the tool, never a 500 later.
    conf = {"/": {"tools.banner.on": True, "tools.banner.txt": "typo"}}
    with pytest.raises(cherrypit.ConfigError, match=r"^\[/\] tools\.banner: .*'txt'"):
        cherrypit.tree.mount(R(), "", conf)
    assert "" not in cherrypit.tree.apps


def test_a_tool_switched_on_without_its_plugin_is_refused() -> None:
    # The bare kernel switches no tool on by itself; one switched on by config that
    # no plugin provides is named.
    assert "tools.encode.on" not in cherrypit.config

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return "served"

    cherrypit.tree.mount(R())
    assert Client().get("/").text == "served"
    with pytest.raises(cherrypit.ConfigError, match=r"tools\.encode\.on: no tool named"):
        cherrypit.tree.mount(R(), "/x", {"/": {"tools.encode.on": True}})
        Client().get("/x/")


def test_tool_turned_on_whose_callable_rejects_the_settings_is_refused_at_mount() -> None:
    install_mark()

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return ""

    with pytest.raises(
        cherrypit.ConfigError, match=r"^\[/\] tools\.mark\.bogus: not a setting of tools\.mark"
    ):
        cherrypit.tree.mount(R(), "", {"/": {"tools.mark.on": True, "tools.mark.bogus": 1}})
    assert "" not in cherrypit.tree.apps
