"""Choosing a storage, checking settings, third-party storages, and switching the plugin off."""

from __future__ import annotations

import datetime
import importlib
from typing import Any, ClassVar

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit.testing import Client
from cherrypit_redis import RedisSession
from cherrypit_sessions import storages
from cherrypit_sessions.api import FileSession, RamSession, Session
from cherrypit_sessions.settings import build, check


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("ram", RamSession),
        ("file", FileSession),
        ("File", FileSession),
        ("redis", RedisSession),
    ],
)
def test_storage_names(name, cls) -> None:
    assert storages.resolve(storage_type=name) is cls
    assert storages.resolve(storage_class=name) is cls


def test_storage_class_as_class_or_dotted_name() -> None:
    assert storages.resolve() is RamSession
    assert storages.resolve(storage_class=FileSession) is FileSession
    assert storages.resolve(storage_class="cherrypit_sessions.files.FileSession") is FileSession
    assert storages.resolve(storage_class="cherrypit_redis:RedisSession") is RedisSession


@pytest.mark.parametrize("key", ["storage_type", "storage_class"])
def test_an_unknown_storage_names_the_key_and_the_choices(key) -> None:
    with pytest.raises(ConfigError) as caught:
        build({key: "memcached"})
    message = str(caught.value)
    assert f"tools.sessions.{key} = 'memcached'" in message
    assert "available: file, ram, redis" in message


def test_not_a_storage_is_refused() -> None:
    with pytest.raises(ConfigError, match="lacks"):
        storages.resolve(storage_class=dict)
    with pytest.raises(ConfigError, match="cannot import"):
        storages.resolve(storage_class="no_such_module.Storage")


def test_an_unknown_storage_is_refused_at_mount(mount, app) -> None:
    conf = {"/": {"tools.sessions.on": True, "tools.sessions.storage_type": "nope"}}
    with pytest.raises(
        ConfigError, match=r"^\[/\] tools\.sessions\.storage_type = 'nope': no session storage"
    ):
        mount(app, conf)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"locking": "sometimes"}, "tools.sessions.locking: expected one of implicit, early"),
        ({"timeout": 0}, "tools.sessions.timeout: must be positive"),
        ({"timeout": "60"}, "tools.sessions.timeout: expected a number"),
        ({"samesite": "loose"}, "tools.sessions.samesite"),
        ({"samesite": "None", "secure": False}, "needs the Secure flag"),
        ({"name": "a b"}, "tools.sessions.name: not a valid cookie name"),
        ({"lock_timeout": -1}, "tools.sessions.lock_timeout must not be negative"),
    ],
)
def test_bad_settings_name_their_key(settings, message) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        build(settings)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"storage_pth": "/tmp"}, "tools.sessions.storage_pth: not a setting of RamSession"),
        ({"storage_type": "file", "storage_pth": "/x"}, "did you mean 'storage_path'"),
        ({"timout": 60}, "tools.sessions.timout: not a setting of RamSession (did you mean"),
    ],
)
def test_unknown_names_are_accepted_with_a_warning(settings, message) -> None:
    # CherryPy sets them as attributes of the session; they reach it here too.
    assert build(settings).session_kwargs[next(iter(settings.keys() - {"storage_type"}))]
    (warning,) = check(settings)
    assert message in warning


def test_storage_path_with_ram_sessions_is_accepted_silently() -> None:
    assert check({"storage_path": "/tmp"}) == []


def test_lock_timeout_accepts_a_timedelta() -> None:
    settings = build({"lock_timeout": datetime.timedelta(seconds=2)})
    assert settings.session_kwargs["lock_timeout"] == 2.0


class DictStorage(Session):
    """A third-party storage written the CherryPy way (class-level setup, extra options)."""

    store: ClassVar[dict[str, Any]] = {}
    setups: ClassVar[list[dict[str, Any]]] = []
    flavour = "plain"

    @classmethod
    def setup(cls, **kwargs: Any) -> None:
        cls.setups.append(kwargs)

    def _exists(self) -> bool:
        return self.id in self.store

    def _load(self) -> Any:
        return self.store.get(self.id or "")

    def _save(self, expiration_time: datetime.datetime) -> None:
        self.store[self.id or ""] = (dict(self._data, flavour=self.flavour), expiration_time)

    def _delete(self) -> None:
        self.store.pop(self.id or "", None)

    def acquire_lock(self) -> None:
        self.locked = True

    def release_lock(self) -> None:
        self.locked = False


def test_a_third_party_storage_gets_its_options_and_one_setup(mount, app) -> None:
    DictStorage.setups.clear()
    conf = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_class": DictStorage,
            "tools.sessions.flavour": "spicy",
            "tools.sessions.anything_goes": 1,  # not strict: CherryPy storages take any option
        }
    }
    client = mount(app, conf)
    assert [client.get("/count").text for _ in range(3)] == ["1", "2", "3"]
    stored = DictStorage.store[client.cookies["session_id"]][0]
    assert stored == {"count": 3, "flavour": "spicy"}
    assert DictStorage.setups == [{"flavour": "spicy", "anything_goes": 1, "locking": "implicit"}]


def test_disabling_the_plugin_makes_the_tool_unknown(site_reset) -> None:
    cherrypit.config.update({"plugins.disable": ["sessions"]})

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            return "kernel still serves"

    with pytest.raises(ConfigError, match=r"tools\.sessions\.on: no tool named 'sessions'"):
        cherrypit.tree.mount(Root(), "/with", {"/": {"tools.sessions.on": True}})
    cherrypit.tree.mount(Root(), "/without")
    response = Client().get("/without/")
    assert (response.status, response.text) == (200, "kernel still serves")
    assert response.header("Set-Cookie") is None
    with pytest.raises(AttributeError, match="sessions"):
        importlib.import_module("cherrypit.lib.sessions").Session  # noqa: B018
