"""The engine registry: entry-point discovery, lazy loading, errors that say what to do."""

from __future__ import annotations

import sys

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit_templates import ENTRY_POINT_GROUP, engine_names, registry
from cherrypit_templates.rendering import engine_for, forget_engines


@pytest.fixture
def without_jinja2(monkeypatch):
    """Make ``import jinja2`` fail as if the extra were not installed."""
    monkeypatch.setitem(sys.modules, "jinja2", None)
    monkeypatch.delitem(sys.modules, "cherrypit_jinja2", raising=False)
    monkeypatch.delitem(registry._loaded, "jinja2", raising=False)
    yield
    forget_engines()


def test_engines_are_discovered_from_the_entry_point_group():
    from importlib_metadata import entry_points

    group = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {"jinja2", "mako"} <= group
    assert {"jinja2", "mako"} <= set(engine_names())


def test_entry_point_engines_load_their_classes():
    import cherrypit_jinja2
    import cherrypit_mako

    assert registry.engine_class("jinja2") is cherrypit_jinja2.Jinja2Engine
    assert registry.engine_class("mako") is cherrypit_mako.MakoEngine


def test_unknown_engine_lists_the_installed_ones():
    with pytest.raises(ConfigError) as info:
        registry.engine_class("handlebars")
    message = str(info.value)
    assert "'handlebars'" in message
    assert "installed engines" in message
    assert "'jinja2'" in message and "'mako'" in message


def test_default_engine_is_jinja2_when_installed():
    assert registry.default_engine_name() == "jinja2"


def test_missing_package_names_the_extra_to_install(without_jinja2):
    with pytest.raises(ConfigError) as info:
        registry.engine_class("jinja2")
    message = str(info.value)
    assert "template engine 'jinja2'" in message
    assert "pip install 'cherrypit[jinja2]'" in message


def test_default_falls_back_to_the_only_usable_engine(without_jinja2):
    assert registry.default_engine_name() == "mako"


def test_a_missing_extra_does_not_break_start_up(without_jinja2, site_reset):
    class Root:
        @cherrypit.expose
        def index(self):
            return "still up"

    from cherrypit.testing import Client

    cherrypit.tree.mount(Root())
    assert cherrypit.tools.get("template") is not None
    assert Client().get("/").text == "still up"
    # Loading the plugins did not import the engine.
    assert "cherrypit_jinja2" not in sys.modules


def test_engine_registered_in_code_shadows_nothing_else(dollar):
    assert "dollar" in engine_names()
    assert registry.engine_class("dollar") is dollar
    registry.unregister_engine("dollar")
    assert "dollar" not in engine_names()
    with pytest.raises(ConfigError, match="no template engine named 'dollar'"):
        registry.engine_class("dollar")


def test_engine_instances_are_shared_per_settings(dollar, tmp_path):
    first = engine_for("dollar", [str(tmp_path)])
    again = engine_for("dollar", [str(tmp_path)])
    other = engine_for("dollar", [str(tmp_path)], autoescape=False)
    assert first[1] is again[1]
    assert other[1] is not first[1]
    assert len(dollar.built) == 2


def test_rejected_options_are_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="rejected its options"):
        engine_for("mako", [str(tmp_path)], options={"no_such_option": 1})
