"""Hooks are called through pluggy: subset arguments, wrappers, specname, historic set-up."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel import pluginmanager
from cherrypit.plugin import hookimpl
from cherrypit.testing import Client, fresh_site

sys.path.insert(0, str(Path(__file__).parent.parent / "fixtures"))
pluggy_features: Any = importlib.import_module("pluggy_features")


@pytest.fixture
def features() -> Iterator[None]:
    pluggy_features.events.clear()
    pluggy_features.received.clear()
    fresh_site(autoload=False, plugins=[("features", pluggy_features)])
    yield
    fresh_site()


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "ok"


def test_implementations_taking_fewer_arguments_are_called(features: None) -> None:
    pluginmanager.ensure_loaded()
    assert "setup" in pluggy_features.events
    cherrypit.tree.mount(Root(), "", {"/": {"tools.features.on": True}})
    assert Client().get("/").headers["x-features"] == "on"


def test_a_wrapper_wraps_every_implementation(features: None) -> None:
    class Other:
        @hookimpl
        def cherrypit_app_namespaces(self) -> dict[str, object]:
            return {"other_app": lambda k, v: None}

    pluginmanager.register(Other(), "other")
    pluginmanager.ensure_loaded()
    assert "wrapped ['other_app']" in pluggy_features.events
    cherrypit.tree.mount(Root(), "", {"/": {"features_app.colour": "blue"}})
    assert pluggy_features.received == {"colour": "blue"}


def test_config_namespace_of_the_plugin_receives_keys(features: None) -> None:
    cherrypit.config.update({"features.level": 3})
    assert pluggy_features.received == {"level": 3}


def test_a_specname_teardown_runs_when_the_plugin_is_disabled(features: None) -> None:
    pluginmanager.ensure_loaded()
    cherrypit.config.update({"plugins.disable": ["features"]})
    assert pluggy_features.events[-1] == "teardown"
    with pytest.raises(AttributeError):
        cherrypit.tools.features  # noqa: B018


def test_engine_setup_is_replayed_for_a_plugin_registered_late(features: None) -> None:
    pluginmanager.ensure_loaded()
    seen: list[object] = []

    class Late:
        @hookimpl
        def cherrypit_engine_setup(self, engine: object) -> None:
            seen.append(engine)

    pluginmanager.register(Late(), "late")
    assert seen == [cherrypit.engine]


def test_calls_are_visible_to_pluggy_monitoring(features: None) -> None:
    calls: list[str] = []
    pm = pluginmanager.host().pm
    undo = pm.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append(name), lambda *a: None
    )
    try:
        pluginmanager.ensure_loaded()
    finally:
        undo()
    assert {"cherrypit_register_tools", "cherrypit_config_namespaces"} <= set(calls)
