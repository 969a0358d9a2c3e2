"""``request.stash``: typed per-request values for plugins, and the generic lazy attribute."""

from __future__ import annotations

import pytest

import cherrypit
from cherrypit.plugin import Stash, StashKey, current_request, hookimpl
from cherrypit.testing import Client, fresh_site

SEEN: StashKey[list[str]] = StashKey("seen")


def test_keys_are_distinct_objects_even_with_one_name() -> None:
    stash = Stash()
    first, second = StashKey[int]("n"), StashKey[int]("n")
    stash[first] = 1
    assert second not in stash
    assert stash.get(second) is None
    assert stash.get(second, 7) == 7
    with pytest.raises(KeyError):
        stash[second]
    assert stash.setdefault(second, 2) == 2
    assert stash.pop(first) == 1
    assert len(stash) == 1
    assert "n" in repr(first)


def test_each_request_gets_its_own_stash() -> None:
    class Marker:
        @hookimpl
        def cherrypit_register_tools(self, toolbox: object) -> None:
            def remember() -> None:
                request = current_request()
                request.stash.setdefault(SEEN, []).append(request.path_info)

            toolbox.remember = cherrypit.Tool("on_start_resource", remember)  # type: ignore[attr-defined]

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            return repr(cherrypit.request.stash[SEEN])

    fresh_site(autoload=False, plugins=[("marker", Marker())])
    try:
        cherrypit.tree.mount(Root(), "", {"/": {"tools.remember.on": True}})
        client = Client()
        assert client.get("/").text == "['/']"
        assert client.get("/").text == "['/']"
    finally:
        fresh_site()


def test_lazy_attributes_are_built_once_and_can_be_replaced() -> None:
    from cherrypit._kernel.request import Request

    request = cherrypit.request
    assert Request.stash.name == "stash"
    first = request.unique_id
    assert request.unique_id == first
    request.unique_id = "mine"
    assert request.unique_id == "mine"
