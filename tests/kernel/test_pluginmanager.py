"""The plugin manager with stub plugins: tools, namespaces, disabling, conflicts, autoload."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel import pluginmanager
from cherrypit._kernel.pluginmanager import PluginError
from cherrypit.plugin import ConfigError, hookimpl
from cherrypit.testing import Client, fresh_site


class StubPlugin:
    """Registers tool ``mark``, global namespace ``stub``, app namespace ``stubapp``."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.app_seen: list[tuple[str, Any]] = []
        self.engine_events: list[str] = []

    @hookimpl
    def cherrypit_register_tools(self, toolbox: Any) -> None:
        def mark(value: str = "default") -> None:
            cherrypit.response.headers["X-Mark"] = value

        toolbox.mark = cherrypit.Tool("before_finalize", mark)

    @hookimpl
    def cherrypit_config_namespaces(self) -> dict[str, Any]:
        def handler(key: str, value: Any) -> None:
            if key == "bad":
                raise ValueError("stub rejects 'bad'")
            self.seen.append((key, value))

        return {"stub": handler}

    @hookimpl
    def cherrypit_app_namespaces(self) -> dict[str, Any]:
        return {"stubapp": lambda k, v: self.app_seen.append((k, v))}

    @hookimpl
    def cherrypit_engine_setup(self, engine: Any) -> None:
        self.engine_events.append("setup")

    @hookimpl
    def cherrypit_engine_teardown(self, engine: Any) -> None:
        self.engine_events.append("teardown")

    @hookimpl
    def cherrypit_compat_attribute(self, module: str, name: str) -> Any:
        if module == "cherrypit" and name == "stubbed_name":
            return "provided by stub"
        return None


def with_stub() -> StubPlugin:
    stub = StubPlugin()
    fresh_site(autoload=False, plugins=[("stub", stub)])
    return stub


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "index"

    @cherrypit.expose
    def plain(self) -> str:
        return "plain"


def test_kernel_without_plugins_has_no_tools() -> None:
    assert list(cherrypit.tools) == []
    with pytest.raises(AttributeError, match="no tool named 'gzip'"):
        cherrypit.tools.gzip  # noqa: B018


def test_stub_plugin_tool_is_usable_from_config_and_decorator() -> None:
    with_stub()
    assert "mark" in list(cherrypit.tools)

    class R:
        @cherrypit.expose
        @cherrypit.tools.mark(value="decorated")
        def index(self) -> str:
            return "x"

        @cherrypit.expose
        def other(self) -> str:
            return "y"

    cherrypit.tree.mount(R(), "", {"/other": {"tools.mark.on": True, "tools.mark.value": "conf"}})
    c = Client()
    assert c.get("/").headers["x-mark"] == "decorated"
    assert c.get("/other").headers["x-mark"] == "conf"


def test_stub_plugin_namespace_receives_keys() -> None:
    stub = with_stub()
    cherrypit.config.update({"stub.answer": 42, "stub.name": "n"})
    assert sorted(stub.seen) == [("answer", 42), ("name", "n")]
    assert cherrypit.config["stub.answer"] == 42


def test_namespace_handler_errors_name_the_key() -> None:
    with_stub()
    with pytest.raises(ConfigError, match=r"stub\.bad.*stub rejects"):
        cherrypit.config.update({"stub.bad": 1})


def test_app_namespace_is_applied_from_root_section() -> None:
    stub = with_stub()
    cherrypit.tree.mount(Root(), "", {"/": {"stubapp.x": 1}})
    assert stub.app_seen == [("x", 1)]


def test_engine_setup_runs_once_and_teardown_on_disable() -> None:
    stub = with_stub()
    pluginmanager.ensure_loaded()
    pluginmanager.ensure_loaded()
    assert stub.engine_events == ["setup"]
    cherrypit.config.update({"plugins.disable": ["stub"]})
    assert stub.engine_events == ["setup", "teardown"]


def test_plugins_disable_removes_tool_and_namespace() -> None:
    stub = with_stub()
    pluginmanager.ensure_loaded()
    assert "mark" in list(cherrypit.tools)
    cherrypit.config.update({"plugins.disable": ["stub"]})
    assert "mark" not in list(cherrypit.tools)
    assert "stub" not in cherrypit.config.namespaces
    with pytest.raises(ConfigError, match="no tool named 'mark'"):
        cherrypit.config.update({"tools.mark.on": True})
    # the namespace is now nobody's: keys are kept as plain settings, not handled
    cherrypit.config.update({"stub.after": 1})
    assert stub.seen == []
    infos = {i.name: i.enabled for i in pluginmanager.plugin_infos()}
    assert infos == {"stub": False}


def test_plugins_disable_before_loading_keeps_plugin_out() -> None:
    stub = with_stub()
    cherrypit.config.update({"plugins.disable": "stub"})
    pluginmanager.ensure_loaded()
    assert "mark" not in list(cherrypit.tools)
    assert stub.engine_events == []


def test_plugins_disable_wrong_type_is_config_error() -> None:
    with pytest.raises(ConfigError, match=r"plugins\.disable"):
        cherrypit.config.update({"plugins.disable": [1]})


def test_unknown_plugins_setting_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"plugins\.enable"):
        cherrypit.config.update({"plugins.enable": ["x"]})


def test_two_plugins_claiming_the_same_tool_name_names_both() -> None:
    class A:
        @hookimpl
        def cherrypit_register_tools(self, toolbox: Any) -> None:
            toolbox.same = cherrypit.Tool("before_handler", lambda: None)

    class B(A):
        pass

    fresh_site(autoload=False, plugins=[("alpha", A()), ("beta", B())])
    with pytest.raises(ConfigError) as info:
        pluginmanager.ensure_loaded()
    assert "'alpha'" in str(info.value) and "'beta'" in str(info.value)
    assert "'same'" in str(info.value)


def test_a_wiring_conflict_is_reported_again_not_half_wired() -> None:
    class A:
        @hookimpl
        def cherrypit_register_tools(self, toolbox: Any) -> None:
            toolbox.same = cherrypit.Tool("before_handler", lambda: None)

    class B(A):
        pass

    fresh_site(autoload=False, plugins=[("alpha", A()), ("beta", B())])
    for _ in range(2):
        with pytest.raises(ConfigError, match="claimed by both"):
            cherrypit.tools.same  # noqa: B018
    with pytest.raises(ConfigError, match="claimed by both"):
        cherrypit.config.update({"tools.same.on": True})


def test_two_plugins_claiming_the_same_namespace() -> None:
    class A:
        @hookimpl
        def cherrypit_config_namespaces(self) -> dict[str, Any]:
            return {"dup": lambda k, v: None}

    class B(A):
        pass

    fresh_site(autoload=False, plugins=[("ns1", A()), ("ns2", B())])
    with pytest.raises(PluginError, match=r"'dup'.*'ns\d'.*'ns\d'"):
        pluginmanager.ensure_loaded()


def test_plugin_cannot_take_a_kernel_namespace() -> None:
    class A:
        @hookimpl
        def cherrypit_config_namespaces(self) -> dict[str, Any]:
            return {"engine": lambda k, v: None}

    fresh_site(autoload=False, plugins=[("greedy", A())])
    with pytest.raises(PluginError, match=r"'engine'.*kernel.*'greedy'"):
        pluginmanager.ensure_loaded()


class Misspelled:
    @hookimpl
    def cherrypit_register_tool(self, toolbox: Any) -> None:  # missing "s"
        pass


def test_misspelled_hookimpl_is_an_error_at_load_naming_the_plugin() -> None:
    fresh_site(autoload=False, plugins=[("typo", Misspelled())])
    with pytest.raises(PluginError) as info:
        pluginmanager.ensure_loaded()
    assert "'typo'" in str(info.value)
    assert "cherrypit_register_tool" in str(info.value)


def test_register_by_hand_checks_the_contract_and_leaves_no_trace() -> None:
    with pytest.raises(PluginError, match="'typo'"):
        pluginmanager.register(Misspelled(), "typo")
    # the bad plugin is not left registered: loading works afterwards
    pluginmanager.ensure_loaded()
    assert pluginmanager.host().pm.get_plugin("typo") is None


def test_register_by_hand_after_loading_wires_immediately() -> None:
    pluginmanager.ensure_loaded()
    assert "mark" not in list(cherrypit.tools)
    pluginmanager.register(StubPlugin(), "late")
    assert "mark" in list(cherrypit.tools)


def test_hookimpl_with_wrong_argument_name_is_rejected() -> None:
    class WrongArg:
        @hookimpl
        def cherrypit_register_tools(self, tools: Any) -> None:
            pass

    with pytest.raises(PluginError):
        pluginmanager.register(WrongArg(), "wrongarg")


def test_autoload_env_var_skips_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHERRYPIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    fresh_site(autoload=True)
    assert pluginmanager.plugin_infos() == []
    assert list(cherrypit.tools) == []
    names = [name for name, _ in pluginmanager.host().pm.list_name_plugin()]
    assert names == []


def test_autoload_env_var_keeps_hand_registered_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHERRYPIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    fresh_site(autoload=True, plugins=[("stub", StubPlugin())])
    assert [i.name for i in pluginmanager.plugin_infos()] == ["stub"]
    assert "mark" in list(cherrypit.tools)


def test_compat_attribute_resolved_by_plugin() -> None:
    with_stub()
    assert cherrypit.stubbed_name == "provided by stub"


def test_compat_attribute_missing_is_attribute_error_with_hint() -> None:
    with pytest.raises(AttributeError) as info:
        cherrypit.no_such_name  # noqa: B018
    text = str(info.value)
    assert "'cherrypit'" in text and "'no_such_name'" in text
    assert "plugin" in text


def test_dunder_lookups_do_not_load_plugins() -> None:
    with pytest.raises(AttributeError):
        cherrypit.__nonexistent__  # noqa: B018
    assert pluginmanager.host().loaded is False


def test_plugin_module_lookup() -> None:
    stub = with_stub()
    assert pluginmanager.plugin_module("stub") is stub
    with pytest.raises(AttributeError, match="'nope'"):
        pluginmanager.plugin_module("nope")


def test_unknown_namespace_triggers_lazy_loading() -> None:
    with_stub()
    assert pluginmanager.host().loaded is False
    cherrypit.config.update({"stub.k": 1})
    assert pluginmanager.host().loaded is True


def test_engine_start_loads_plugins() -> None:
    stub = with_stub()
    cherrypit.engine.start()
    try:
        assert stub.engine_events == ["setup"]
    finally:
        cherrypit.engine.stop()


class _SlowSetup:
    """A plugin whose engine set-up (the end of wiring) waits for ``release``."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()
        self.done = False

    @hookimpl
    def cherrypit_engine_setup(self, engine: Any) -> None:
        self.entered.set()
        self.release.wait(5)
        self.done = True


class _ReportingLock:
    """The plugin manager's lock, setting ``waiting`` when a second thread asks for it."""

    def __init__(self, inner: Any, loader: threading.Thread, waiting: threading.Event) -> None:
        self.inner, self.loader, self.waiting = inner, loader, waiting

    def __enter__(self) -> None:
        if threading.current_thread() is not self.loader:
            self.waiting.set()
        self.inner.acquire()

    def __exit__(self, *exc: object) -> None:
        self.inner.release()


def test_a_second_thread_waits_for_a_load_in_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    # Plugins load on first use, possibly in two threads at once (a request and the
    # application's own thread): the second must not see a half-wired site.
    plugin = _SlowSetup()
    fresh_site(autoload=False, plugins=[("slow", plugin)])
    loader = threading.Thread(target=pluginmanager.ensure_loaded)
    lock = _ReportingLock(pluginmanager.host().lock, loader, plugin.release)
    monkeypatch.setattr(pluginmanager.host(), "lock", lock)
    seen: list[bool] = []

    def second() -> None:
        pluginmanager.ensure_loaded()
        seen.append(plugin.done)

    loader.start()
    assert plugin.entered.wait(5)
    other = threading.Thread(target=second)
    other.start()
    other.join()
    loader.join()
    assert seen == [True]
