"""Site and application config on the bare kernel: sources, precedence, validation."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit._kernel import site
from cherrypit.plugin import hookimpl
from cherrypit.testing import Client, config_warnings, mount_and_client, site_context


def show(*keys: str) -> Any:
    """A root whose index reports ``request.config`` values for ``keys``."""

    class R:
        @cherrypit.expose
        def index(self) -> str:
            return "|".join(str(cherrypit.request.config.get(k)) for k in keys)

        @cherrypit.expose
        def default(self, *args: str) -> str:
            return str(self.index())

    return R()


# --- sources --------------------------------------------------------------------------


def test_update_from_dict_and_keywords() -> None:
    cherrypit.config.update({"myapp.a": 1})
    cherrypit.config.update(myapp_b=2)
    assert cherrypit.config["myapp.a"] == 1
    assert cherrypit.config["myapp_b"] == 2


def test_update_from_dict_with_global_section() -> None:
    cherrypit.config.update({"global": {"myapp.a": 1}, "/path": {"myapp.b": 2}})
    assert cherrypit.config["myapp.a"] == 1
    assert "myapp.b" not in cherrypit.config
    assert "/path" not in cherrypit.config


def test_update_ignores_path_sections_without_global() -> None:
    cherrypit.config.update({"/path": {"myapp.b": 2}, "myapp.c": 3})
    assert "/path" not in cherrypit.config
    assert cherrypit.config["myapp.c"] == 3


def test_update_from_filename(tmp_path: Path) -> None:
    conf = tmp_path / "site.conf"
    conf.write_text('[global]\nmyapp.port = 8080\nmyapp.name = "x"\n\n[/p]\nmyapp.z = 1\n')
    cherrypit.config.update(str(conf))
    assert cherrypit.config["myapp.port"] == 8080
    assert cherrypit.config["myapp.name"] == "x"
    assert "myapp.z" not in cherrypit.config
    assert str(conf) in cherrypit.config.files


def test_update_from_path_object(tmp_path: Path) -> None:
    conf = tmp_path / "site.conf"
    conf.write_text("[global]\nmyapp.v = [1, 2]\n")
    cherrypit.config.update(conf)
    assert cherrypit.config["myapp.v"] == [1, 2]


def test_update_from_open_file() -> None:
    cherrypit.config.update(io.StringIO("[global]\nmyapp.v = 6 * 7\n"))
    assert cherrypit.config["myapp.v"] == 42


def test_missing_config_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        cherrypit.config.update(str(tmp_path / "missing.conf"))


class DefaultsPlugin:
    """A stub plugin that sets config keys by default, as the toolbox does."""

    @hookimpl
    def cherrypit_config_defaults(self) -> dict[str, Any]:
        return {"myplugin.level": 3, "myplugin.mode": "fast"}


def test_reset_restores_defaults() -> None:
    with site_context(autoload=False, plugins=[("defaults", DefaultsPlugin())]):
        site.default.plugins.ensure_loaded()
        cherrypit.config.update({"myapp.a": 1, "myplugin.level": 5})
        assert cherrypit.config["myplugin.level"] == 5
        cherrypit.config.reset()
        assert "myapp.a" not in cherrypit.config
        assert cherrypit.config["myplugin.level"] == 3


def test_plugin_defaults_leave_with_their_plugin() -> None:
    with site_context(autoload=False, plugins=[("defaults", DefaultsPlugin())]):
        cherrypit.config.update({"myplugin.level": 5})
        site.default.plugins.ensure_loaded()
        # A key config set keeps its value; the others are the plugin's.
        assert (cherrypit.config["myplugin.level"], cherrypit.config["myplugin.mode"]) == (
            5,
            "fast",
        )
        cherrypit.config.update({"plugins.disable": ["defaults"]})
        assert "myplugin.mode" not in cherrypit.config
        assert cherrypit.config["myplugin.level"] == 5


def test_zero_plugins_means_no_default_tools() -> None:
    # The kernel switches no tool on by itself: CherryPy's four default tools are the
    # toolbox plugin's (cherrypit_config_defaults), so the bare kernel serves without.
    assert not any(k.startswith("tools.") for k in cherrypit.config)
    cherrypit.tree.mount(show("tools.encode.on"))
    assert Client().get("/").text == "None"


def test_custom_namespaces_are_application_settings() -> None:
    cherrypit.config.update({"myapp.db_url": "sqlite://", "other.thing": [1]})
    cherrypit.tree.mount(show("myapp.db_url", "other.thing"))
    assert Client().get("/").text == "sqlite://|[1]"


# --- environments ---------------------------------------------------------------------


def test_environment_production_presets() -> None:
    cherrypit.config.update({"environment": "production"})
    assert cherrypit.config["request.show_tracebacks"] is False
    assert cherrypit.config["checker.on"] is False
    assert cherrypit.checker.on is False


def test_environment_explicit_keys_win() -> None:
    cherrypit.config.update({"environment": "production", "request.show_tracebacks": True})
    assert cherrypit.config["request.show_tracebacks"] is True


@pytest.mark.parametrize("env", ["development", "staging", "production", "embedded", "test_suite"])
def test_every_environment_loads_without_plugins(env: str) -> None:
    cherrypit.config.update({"environment": env})
    assert cherrypit.config["environment"] == env


def test_unknown_environment_is_an_error_with_suggestion() -> None:
    with pytest.raises(ConfigError, match="did you mean 'production'"):
        cherrypit.config.update({"environment": "productoin"})


def test_production_hides_tracebacks_in_pages() -> None:
    class R:
        @cherrypit.expose
        def index(self) -> str:
            raise ValueError("secret detail")

    cherrypit.config.update({"environment": "development"})
    cherrypit.tree.mount(R())
    assert "secret detail" in Client().get("/").text
    cherrypit.config.update({"environment": "production"})
    assert "secret detail" not in Client().get("/").text


# --- handler and application config ---------------------------------------------------


def test_cp_config_on_class_and_method() -> None:
    class Sub:
        _cp_config = {"myapp.level": "class", "myapp.cls": "yes"}

        @cherrypit.expose
        def index(self) -> str:
            conf = cherrypit.request.config
            return f"{conf['myapp.level']}|{conf['myapp.cls']}"

        @cherrypit.expose
        def meth(self) -> str:
            return str(cherrypit.request.config["myapp.level"])

        meth._cp_config = {"myapp.level": "method"}  # type: ignore[attr-defined]

    class R:
        sub = Sub()

    cherrypit.tree.mount(R())
    c = Client()
    assert c.get("/sub/").text == "class|yes"
    assert c.get("/sub/meth").text == "method"


def test_config_decorator_on_method_and_class() -> None:
    @cherrypit.config(**{"myapp.cls": "c"})
    class R:
        @cherrypit.expose
        @cherrypit.config(**{"myapp.meth": "m"})
        def index(self) -> str:
            conf = cherrypit.request.config
            return f"{conf.get('myapp.cls')}|{conf.get('myapp.meth')}"

    assert R._cp_config == {"myapp.cls": "c"}  # type: ignore[attr-defined]
    cherrypit.tree.mount(R())
    assert Client().get("/").text == "c|m"


def test_config_decorator_does_not_share_a_parent_class_dict() -> None:
    @cherrypit.config(**{"myapp.a": 1})
    class Base:
        pass

    @cherrypit.config(**{"myapp.b": 2})
    class Child(Base):
        pass

    assert Base._cp_config == {"myapp.a": 1}  # type: ignore[attr-defined]
    assert Child._cp_config == {"myapp.b": 2}  # type: ignore[attr-defined]


def test_precedence_global_root_section_path_section() -> None:
    cherrypit.config.update({"myapp.v": "global", "myapp.g": "global"})
    cherrypit.tree.mount(
        show("myapp.v", "myapp.g", "myapp.r"),
        "",
        {"/": {"myapp.v": "root", "myapp.r": "root"}, "/a/b": {"myapp.v": "ab"}},
    )
    c = Client()
    assert c.get("/").text == "root|global|root"
    assert c.get("/a").text == "root|global|root"
    assert c.get("/a/b").text == "ab|global|root"
    assert c.get("/a/b/c").text == "ab|global|root"


def test_app_section_beats_node_cp_config_on_the_same_path() -> None:
    class Sub:
        _cp_config = {"myapp.v": "cp_config"}

        @cherrypit.expose
        def index(self) -> str:
            return str(cherrypit.request.config["myapp.v"])

    class R:
        sub = Sub()

    cherrypit.tree.mount(R(), "", {"/sub": {"myapp.v": "section"}})
    assert Client().get("/sub/").text == "section"


def test_global_config_changes_after_first_request_are_seen() -> None:
    cherrypit.tree.mount(show("myapp.v"))
    c = Client()
    assert c.get("/").text == "None"
    cherrypit.config.update({"myapp.v": 1})
    assert c.get("/").text == "1"


def test_app_merge_after_first_request_is_seen() -> None:
    app = cherrypit.tree.mount(show("myapp.v"))
    c = Client()
    assert c.get("/").text == "None"
    app.merge({"/": {"myapp.v": 2}})
    assert c.get("/").text == "2"


def test_request_namespace_sets_request_attributes() -> None:
    class R:
        @cherrypit.expose
        def index(self) -> str:
            req = cherrypit.request
            return f"{req.show_tracebacks}|{req.show_mismatched_params}"

    cherrypit.tree.mount(
        R(),
        "",
        {"/": {"request.show_tracebacks": True, "request.show_mismatched_params": False}},
    )
    assert Client().get("/").text == "True|False"


def test_request_attributes_do_not_leak_between_paths() -> None:
    class R:
        @cherrypit.expose
        def index(self) -> str:
            return str(cherrypit.request.show_tracebacks)

        @cherrypit.expose
        def dev(self) -> str:
            return str(cherrypit.request.show_tracebacks)

    cherrypit.tree.mount(R(), "", {"/dev": {"request.show_tracebacks": True}})
    c = Client()
    assert c.get("/dev").text == "True"
    assert c.get("/").text == "False"


def test_response_headers_namespace() -> None:
    cherrypit.config.update({"response.headers.X-Global": "g"})
    cherrypit.tree.mount(show(), "", {"/": {"response.headers.X-App": "a"}})
    r = Client().get("/")
    assert r.headers["x-global"] == "g"
    assert r.headers["x-app"] == "a"


def test_response_headers_from_config_can_be_overridden_by_handler() -> None:
    class R:
        @cherrypit.expose
        def index(self) -> str:
            cherrypit.response.headers["Content-Type"] = "text/plain"
            return "x"

    cherrypit.tree.mount(R(), "", {"/": {"response.headers.Content-Type": "application/json"}})
    assert Client().get("/").headers["content-type"] == "text/plain"


def test_app_config_from_file(tmp_path: Path) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text('[/]\nmyapp.v = "from file"\nresponse.headers.X-File = "yes"\n')
    cherrypit.tree.mount(show("myapp.v"), "", str(conf))
    r = Client().get("/")
    assert r.text == "from file"
    assert r.headers["x-file"] == "yes"


def test_app_config_without_sections_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"section headers.*'/'"):
        cherrypit.tree.mount(show(), "", {"myapp.v": 1})


# --- validation -----------------------------------------------------------------------


def test_wrong_value_type_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"request\.uri_encoding.*expected str.*5"):
        cherrypit.config.update({"request.uri_encoding": 5})


def test_wrong_value_type_in_app_config_names_section_and_key() -> None:
    with pytest.raises(ConfigError, match=r"\[/x\] request\.max_path_segments"):
        cherrypit.tree.mount(show(), "", {"/x": {"request.max_path_segments": "many"}})


class Failing:
    @cherrypit.expose
    def index(self) -> str:
        raise ValueError("the handler failed")


@pytest.mark.parametrize("value", [1, 0])
def test_switches_take_ints_as_cherrypy_does(value: int) -> None:
    client = mount_and_client(Failing(), {"/": {"request.show_tracebacks": value}})
    response = client.get("/")
    assert response.status == 500
    assert ("Traceback" in response.text) is bool(value)
    assert not [w for w in config_warnings() if "show_tracebacks" in w]


def test_a_switch_set_to_a_string_is_read_by_truth_value_with_a_warning() -> None:
    # CherryPy tests ``if value:``: the string "false" is true.
    client = mount_and_client(Failing(), {"/": {"request.show_tracebacks": "false"}})
    assert "Traceback" in client.get("/").text
    assert any(
        "[/] request.show_tracebacks: expected a bool, got 'false'; read as on" in w
        for w in config_warnings()
    )


def test_a_switch_set_to_a_string_is_refused_when_strict() -> None:
    cherrypit.config.update({"checker.strict": True})
    with pytest.raises(ConfigError, match=r"request\.show_tracebacks: expected a bool"):
        cherrypit.tree.mount(show(), "", {"/": {"request.show_tracebacks": "yes"}})


def test_unknown_request_attribute_is_set_with_a_warning() -> None:
    # CherryPy sets request.<anything> as an attribute of the request.
    cherrypit.config.update({"request.show_traceback": True})
    client = mount_and_client(show())
    assert client.get("/").status == 200
    assert any(
        re.match(r"request\.show_traceback: not a request attribute .*'show_tracebacks'", w)
        for w in config_warnings()
    )


def test_unknown_request_body_setting_is_a_warning() -> None:
    cherrypit.config.update({"request.body.maxbyte": 10})
    assert any(re.match(r"request\.body\.maxbyte: .*'maxbytes'", w) for w in config_warnings())


def test_request_body_maxbytes_type() -> None:
    with pytest.raises(ConfigError, match=r"request\.body\.maxbytes"):
        cherrypit.config.update({"request.body.maxbytes": "10"})


def test_unknown_response_setting_is_a_warning() -> None:
    cherrypit.config.update({"response.stram": True})
    assert any(re.match(r"response\.stram: .*'stream'", w) for w in config_warnings())


def test_unknown_tool_in_app_config() -> None:
    with pytest.raises(ConfigError, match=r"\[/\] tools\.gzip\.on: no tool named 'gzip'"):
        cherrypit.tree.mount(show(), "", {"/": {"tools.gzip.on": True}})


def test_unknown_tool_in_global_config() -> None:
    with pytest.raises(ConfigError, match=r"tools\.nosuch\.on"):
        cherrypit.config.update({"tools.nosuch.on": True})


def test_tool_key_without_setting() -> None:
    with pytest.raises(ConfigError, match=r"tools\.<name>\.<setting>"):
        cherrypit.config.update({"tools.gzip": True})


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("tool.gzip.on", "tools"),
        ("reqest.show_tracebacks", "request"),
        ("respons.headers.X", "response"),
        ("engin.autoreload.on", "engine"),
    ],
)
def test_misspelled_namespace_is_kept_with_a_did_you_mean(key: str, suggestion: str) -> None:
    # CherryPy 18 stores a key of a namespace nobody owns; so does cherrypit, and warns.
    cherrypit.config.update({key: True})
    assert cherrypit.config[key] is True
    (warning,) = [w for w in config_warnings() if w.startswith(key)]
    assert f"did you mean '{suggestion}'" in warning


def test_misspelled_namespace_in_app_config_is_served_and_warned() -> None:
    client = mount_and_client(show(), {"/": {"tool.gzip.on": True}})
    assert client.get("/").status == 200
    assert any("[/] tool.gzip.on: unknown config namespace 'tool'" in w for w in config_warnings())


def test_misspelled_namespace_is_refused_when_strict() -> None:
    cherrypit.config.update({"checker.strict": True})
    with pytest.raises(ConfigError, match=r"tool\.gzip\.on.*did you mean 'tools'.*strict"):
        cherrypit.tree.mount(show(), "", {"/": {"tool.gzip.on": True}})


def test_unrelated_namespaces_are_application_settings_without_a_warning() -> None:
    cherrypit.config.update({"shop.currency": "EUR"})
    assert not [w for w in config_warnings() if "shop" in w]


def test_unknown_engine_plugin() -> None:
    with pytest.raises(ConfigError, match=r"engine\.nosuch\.on.*no plugin 'nosuch'"):
        cherrypit.config.update({"engine.nosuch.on": True})


def test_unknown_engine_setting_is_set_with_a_warning() -> None:
    cherrypit.config.update({"engine.nosetting": 1})
    assert cherrypit.engine.nosetting == 1  # type: ignore[attr-defined]
    assert any(w.startswith("engine.nosetting: not a known engine") for w in config_warnings())


def test_engine_autoreload_settings_are_accepted_without_plugin() -> None:
    cherrypit.config.update({"engine.autoreload.on": False, "engine.autoreload.frequency": 2})
    assert cherrypit.engine.autoreload.frequency == 2


def test_unknown_log_setting_is_set_on_the_log_with_a_warning() -> None:
    cherrypit.config.update({"log.scren": True})
    assert cherrypit.log.scren is True  # type: ignore[attr-defined]
    assert any(re.match(r"log\.scren: .*'screen'", w) for w in config_warnings())


def test_unknown_hook_point_in_config() -> None:
    with pytest.raises(ConfigError, match=r"hooks\.before_handlr.*'before_handler'"):
        cherrypit.config.update({"hooks.before_handlr": print})


def test_bad_error_page_key() -> None:
    with pytest.raises(ConfigError, match=r"error_page\.abc"):
        cherrypit.config.update({"error_page.abc": "x.html"})


def test_failed_update_changes_nothing() -> None:
    with pytest.raises(ConfigError):
        cherrypit.config.update({"myapp.ok": 1, "request.uri_encoding": 5})
    assert "myapp.ok" not in cherrypit.config


def test_tree_namespace_grafts_apps() -> None:
    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"grafted"]

    cherrypit.config.update({"tree.myapp": {"/grafted": wsgi}})
    assert Client().get("/grafted/x").text == "grafted"


def test_checker_namespace() -> None:
    cherrypit.config.update({"checker.on": False})
    assert cherrypit.checker.on is False


@pytest.mark.parametrize("tool", ["encode", "trailing_slash"])
def test_default_on_tool_can_be_switched_off_without_its_plugin(tool: str) -> None:
    cherrypit.config.update({f"tools.{tool}.on": False})
    cherrypit.tree.mount(show(), "", {"/": {f"tools.{tool}.on": False}})
    assert Client().get("/").status == 200
    # settings for it, or switching it on, still need the tool
    with pytest.raises(ConfigError, match=f"no tool named '{tool}'"):
        cherrypit.config.update({f"tools.{tool}.on": True})


# --- run-time edits reach the next request ---------------------------------------------


def test_setting_a_site_key_at_run_time_reaches_the_next_request() -> None:
    client = mount_and_client(show("myapp.mode"))
    assert client.get("/").text == "None"
    assert client.get("/").text == "None"
    cherrypit.config["myapp.mode"] = "b"
    assert client.get("/").text == "b"
    del cherrypit.config["myapp.mode"]
    assert client.get("/").text == "None"
    cherrypit.config.setdefault("myapp.mode", "c")
    assert client.get("/").text == "c"


def test_setting_a_key_applies_its_namespace() -> None:
    cherrypit.config["checker.on"] = False
    assert cherrypit.checker.on is False
    with pytest.raises(ConfigError, match=r"request\.uri_encoding"):
        cherrypit.config["request.uri_encoding"] = 5


def test_a_handler_editing_its_cp_config_changes_the_next_request() -> None:
    @cherrypit.config(**{"myapp.count": 1})
    class Root:
        @cherrypit.expose
        def index(self) -> str:
            seen = int(cherrypit.request.config["myapp.count"])
            self._cp_config["myapp.count"] = seen + 1  # type: ignore[attr-defined]
            return str(seen)

    client = mount_and_client(Root())
    assert [client.get("/").text for _ in range(4)] == ["1", "2", "3", "4"]


def test_editing_a_section_in_place_reaches_the_next_request() -> None:
    client = mount_and_client(show("myapp.mode"), {"/": {"myapp.mode": 1}})
    assert client.get("/").text == "1"
    assert client.get("/").text == "1"
    cherrypit.tree.apps[""].config["/"]["myapp.mode"] = 2
    assert client.get("/").text == "2"
