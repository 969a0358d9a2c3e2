"""The start-up config check with the built-in plugins: tool settings that would fail
every request are refused when the app is mounted or the engine starts, one line per
key; the check reads every section and the ``_cp_config`` of every reachable object.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit._kernel import pluginmanager


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "ok"


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        (
            {"tools.sessions.on": True, "tools.sessions.timeout": "60"},
            "[/] tools.sessions.timeout: expected a number of minutes, got '60'",
        ),
        (
            {"tools.gzip.on": True, "tools.gzip.compress_level": "high"},
            "[/] tools.gzip.compress_level: expected a zlib level, an int from 0 to 9, got 'high'",
        ),
        (
            {"tools.gzip.on": True, "tools.gzip.compresslevel": 5},
            "[/] tools.gzip.compresslevel: not a setting of tools.gzip (did you mean "
            "'compress_level'?); every request it applies to would fail",
        ),
        (
            {"tools.json_out.on": True, "tools.json_out.indent": 2},
            "[/] tools.json_out.indent: not a setting of tools.json_out",
        ),
    ],
)
def test_breaking_tool_settings_are_refused_at_mount(site_reset, conf, message) -> None:
    with pytest.raises(ConfigError) as info:
        cherrypit.tree.mount(Root(), "", {"/": conf})
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
    assert "" not in cherrypit.tree.apps


def test_settings_of_a_tool_that_is_off_are_not_refused(site_reset) -> None:
    # CherryPy never reads them.
    cherrypit.tree.mount(Root(), "", {"/": {"tools.sessions.timeout": "60"}})
    assert "" in cherrypit.tree.apps


def test_path_sections_and_handler_cp_config_are_checked(site_reset) -> None:
    class Api:
        @cherrypit.expose
        @cherrypit.tools.gzip(compress_level="max")
        def data(self) -> str:
            return "{}"

    class App:
        api = Api()

        @cherrypit.expose
        def index(self) -> str:
            return "ok"

    with pytest.raises(ConfigError, match=r"^/api/data \(.*\) tools\.gzip\.compress_level"):
        cherrypit.tree.mount(App(), "")
    with pytest.raises(ConfigError, match=r"^\[/admin\] tools\.sessions\.timeout"):
        cherrypit.tree.mount(
            Root(), "", {"/admin": {"tools.sessions.on": True, "tools.sessions.timeout": "5"}}
        )


def test_site_config_changed_after_mount_is_checked_when_the_engine_starts(site_reset) -> None:
    cherrypit.tree.mount(Root(), "", {"/": {"tools.gzip.on": True}})
    cherrypit.config.update({"tools.gzip.compress_level": "high"})
    with pytest.raises(ConfigError, match=r"tools\.gzip\.compress_level: expected a zlib"):
        cherrypit.engine.start()
    assert cherrypit.engine.state != cherrypit.engine.states.STARTED


def test_redis_storage_without_the_extra_says_what_to_install(
    site_reset, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the redis client were not installed (None in sys.modules blocks the import).
    monkeypatch.setitem(sys.modules, "redis", None)
    for name in [m for m in sys.modules if m.startswith("cherrypit_redis")]:
        monkeypatch.delitem(sys.modules, name)
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "redis"}}
    with pytest.raises(ConfigError) as info:
        cherrypit.tree.mount(Root(), "", conf)
    message = str(info.value)
    assert message.startswith("[/] tools.sessions.storage_type = 'redis': ")
    assert "pip install 'cherrypit[redis]'" in message


def test_tool_decorator_whose_plugin_is_disabled_is_refused(site_reset) -> None:
    class App:
        @cherrypit.expose
        @cherrypit.tools.json_out()
        def data(self) -> dict[str, int]:
            return {"a": 1}

    pluginmanager.disable(["tools"])
    with pytest.raises(ConfigError) as info:
        cherrypit.tree.mount(App(), "")
    assert str(info.value).startswith("/data (")
    assert "tools.json_out.on: no tool named 'json_out'" in str(info.value)


def test_refused_config_never_reaches_a_request(live_server: str) -> None:
    # Over HTTP: the app that mounted cleanly serves; the refused one was never mounted.
    cherrypit.tree.mount(Root(), "/good", {"/": {"tools.gzip.on": True}})
    with pytest.raises(ConfigError):
        cherrypit.tree.mount(
            Root(), "/bad", {"/": {"tools.gzip.on": True, "tools.gzip.compress_level": "x"}}
        )
    with urllib.request.urlopen(live_server + "/good/", timeout=10) as r:
        assert r.read() == b"ok"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(live_server + "/bad/", timeout=10)
    assert info.value.code == 404
    info.value.close()
