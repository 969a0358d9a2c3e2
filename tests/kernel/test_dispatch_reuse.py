"""Dispatcher walks reused between requests see every change to the tree at once.

The default dispatcher remembers each path's walk with the attributes it read; these
tests change those attributes between requests, the ways applications do at run time.
"""

from __future__ import annotations

from typing import Any

import pytest

import cherrypit
from cherrypit._kernel import tree as tree_module
from cherrypit.testing import mount_and_client as serve


class Page:
    def __init__(self, text: str) -> None:
        self.text = text

    @cherrypit.expose
    def index(self) -> str:
        return self.text


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "home"


def test_a_node_added_at_run_time_is_served() -> None:
    root = Root()
    client = serve(root)
    assert client.get("/late/").status == 404
    root.late = Page("late")  # type: ignore[attr-defined]
    assert client.get("/late/").text == "late"
    del root.late  # type: ignore[attr-defined]
    assert client.get("/late/").status == 404


def test_a_node_replaced_at_run_time_is_served() -> None:
    root = Root()
    root.page = Page("one")  # type: ignore[attr-defined]
    client = serve(root)
    assert client.get("/page/").text == "one"
    root.page = Page("two")  # type: ignore[attr-defined]
    assert client.get("/page/").text == "two"


def test_a_method_replaced_on_the_class_is_called() -> None:
    class Swappable:
        @cherrypit.expose
        def index(self) -> str:
            return "old"

    client = serve(Swappable())
    assert client.get("/").text == "old"
    Swappable.index = cherrypit.expose(lambda self: "new")  # type: ignore[method-assign]
    assert client.get("/").text == "new"


def test_unexposing_a_handler_at_run_time_gives_404() -> None:
    def hidden() -> str:
        return "visible"

    hidden.exposed = True  # type: ignore[attr-defined]
    root = Root()
    root.hidden = hidden  # type: ignore[attr-defined]
    client = serve(root)
    assert client.get("/hidden").text == "visible"
    hidden.exposed = False  # type: ignore[attr-defined]
    assert client.get("/hidden").status == 404


def test_a_default_method_added_later_takes_the_unknown_paths() -> None:
    class Late:
        @cherrypit.expose
        def index(self) -> str:
            return "index"

    client = serve(Late())
    assert client.get("/x/y").status == 404
    Late.default = cherrypit.expose(lambda self, *args: "/".join(args))  # type: ignore[attr-defined]
    assert client.get("/x/y").text == "x/y"


def test_cp_config_edited_in_place_applies_to_the_next_request() -> None:
    root = Root()
    root.page = Page("p")  # type: ignore[attr-defined]
    client = serve(root)
    assert "x-page" not in client.get("/page/").headers
    root.page._cp_config = {"response.headers.X-Page": "1"}  # type: ignore[attr-defined]
    assert client.get("/page/").headers["x-page"] == "1"
    root.page._cp_config["response.headers.X-Page"] = "2"  # type: ignore[attr-defined]
    assert client.get("/page/").headers["x-page"] == "2"


def test_attributes_set_on_a_method_after_its_first_request_apply() -> None:
    # The walk read them through the bound method; they live on its function.
    class Methods:
        @cherrypit.expose
        def page(self) -> str:
            return "page"

    client = serve(Methods())
    assert "x-method" not in client.get("/page").headers
    Methods.page._cp_config = {"response.headers.X-Method": "1"}  # type: ignore[attr-defined]
    assert client.get("/page").headers["x-method"] == "1"
    Methods.page.exposed = False  # type: ignore[attr-defined]
    assert client.get("/page").status == 404


def test_replacing_the_application_root_takes_effect() -> None:
    client = serve(Root())
    assert client.get("/").text == "home"
    only = next(iter(cherrypit.tree.apps.values()))
    only.root = Page("new root")
    assert client.get("/").text == "new root"


def test_cp_dispatch_runs_on_every_request() -> None:
    calls: list[list[str]] = []

    class Dynamic:
        def _cp_dispatch(self, vpath: list[str]) -> Any:
            calls.append(list(vpath))
            vpath.pop(0)
            return Page("dynamic")

    client = serve(Dynamic())
    for _ in range(3):
        assert client.get("/anything/").text == "dynamic"
    assert calls == [["anything"]] * 3


def test_nodes_made_by_getattr_are_walked_each_time() -> None:
    made: list[str] = []

    class Factory:
        def __getattr__(self, name: str) -> Any:
            if name.startswith("_") or name in ("exposed", "default", "index"):
                raise AttributeError(name)
            made.append(name)
            return Page(f"made {name} #{len(made)}")

    client = serve(Factory())
    assert client.get("/a/").text == "made a #1"
    assert client.get("/a/").text == "made a #2"


def test_method_dispatcher_answers_each_method_of_one_path() -> None:
    class Resource:
        exposed = True

        def GET(self) -> str:
            return "got"

        def POST(self) -> str:
            return "posted"

    root = Root()
    root.res = Resource()  # type: ignore[attr-defined]
    client = serve(root, {"/res": {"request.dispatch": cherrypit.dispatch.MethodDispatcher()}})
    for _ in range(2):
        assert client.get("/res").text == "got"
        assert client.post("/res", body=b"").text == "posted"
        assert client.request("PUT", "/res", body=b"").status == 405


def test_remembered_walks_are_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(tree_module, "_WALK_CACHE_LIMIT", 16)
    client = serve(Root())
    for i in range(50):
        assert client.get(f"/missing{i}").status == 404
    only = next(iter(cherrypit.tree.apps.values()))
    assert 0 < len(only.walk_cache()) <= 16


def test_a_config_change_forgets_the_walks() -> None:
    root = Root()
    client = serve(root)
    assert client.get("/").text == "home"
    only = next(iter(cherrypit.tree.apps.values()))
    assert only.walk_cache()
    only.merge({"/": {"response.headers.X-After": "yes"}})
    assert not only.walk_cache()
    assert client.get("/").headers["x-after"] == "yes"


# --- paths never walked, answered from a walk of the same shape ----------------------


class Shop:
    def __init__(self) -> None:
        self.items = Items()

    @cherrypit.expose
    def index(self) -> str:
        return "shop"

    @cherrypit.expose
    def item(self, number: str, detail: str = "") -> str:
        return f"item {number} {detail}".strip()


class Items:
    @cherrypit.expose
    def default(self, *ids: str) -> str:
        return "items " + "/".join(ids)


SHAPED_PATHS = [
    "/item/41",
    "/item/42",
    "/item/42/",
    "/item/43/colour",
    "/item/a-b",
    "/item/index",
    "/item/default",
    "/items/1",
    "/items/2/",
    "/items/3/4/5",
    "/nothing",
    "/nothing/else",
    "/other/",
]


SECTIONED_PATHS = [
    "/docs/a",
    "/docs/b",
    "/docs/b/c",
    "/docs/x/y",
    "/docs/x/z",
    "/item/6",
    "/item/7",
    "/item/8",
    "/items/deep/er",
    "/items/deep/est",
    "/items/deep",
    "/items/shallow",
]
SECTIONS = {
    "/docs": {"response.headers.X-Section": "docs"},
    "/docs/x": {"response.headers.X-Section": "docs-x"},
    "/item/7": {"response.headers.X-Section": "seven"},
    "/items/deep/er": {"response.headers.X-Section": "deeper"},
}


class ShopWithDefault(Shop):
    @cherrypit.expose
    def default(self, *args: str) -> str:
        return "default " + "/".join(args)


def _answers(client: Any, paths: list[str]) -> list[tuple[int, str, str, str]]:
    out = []
    for path in paths:
        response = client.get(path)
        headers = response.headers
        out.append(
            (
                response.status,
                response.text,
                headers.get("location", ""),
                headers.get("x-section", ""),
            )
        )
    return out


@pytest.mark.parametrize(
    ("root_class", "config", "paths"),
    [(Shop, None, SHAPED_PATHS), (ShopWithDefault, SECTIONS, SECTIONED_PATHS + SHAPED_PATHS)],
)
def test_a_path_never_walked_answers_as_a_fresh_walk_would(
    root_class: type, config: Any, paths: list[str]
) -> None:
    # Each path alone in a fresh tree (nothing remembered) against one client that
    # answers them in a row, each from the walks of the ones before.
    fresh = []
    for path in paths:
        cherrypit.tree.apps.clear()
        fresh.extend(_answers(serve(root_class(), config=config), [path]))
    cherrypit.tree.apps.clear()
    shared = serve(root_class(), config=config)
    assert _answers(shared, paths) == fresh
    # And again, now that every shape is remembered.
    assert _answers(shared, paths) == fresh


def test_paths_below_a_config_section_of_no_object_are_not_walked(walked_paths: list[str]) -> None:
    client = serve(ShopWithDefault(), config={"/docs": {"response.headers.X-Section": "docs"}})
    for name in ("a", "b", "c"):
        response = client.get(f"/docs/{name}")
        assert response.text == f"default docs/{name}"
        assert response.headers["x-section"] == "docs"
    assert walked_paths == ["/docs/a"]


def test_paths_of_a_remembered_shape_are_not_walked(walked_paths: list[str]) -> None:
    client = serve(Shop())
    for i in range(100):
        assert client.get(f"/item/{i}").text == f"item {i}"
        assert client.get(f"/items/{i}/{i + 1}").text == f"items {i}/{i + 1}"
        assert client.get(f"/missing{i}").status == 404
    assert walked_paths == ["/item/0", "/items/0/1", "/missing0"]


def test_an_attribute_named_like_a_positional_argument_is_walked_to() -> None:
    shop = Shop()
    client = serve(shop)
    assert client.get("/items/1").text == "items 1"
    assert client.get("/items/2").text == "items 2"
    shop.items.special = cherrypit.expose(lambda: "special")  # type: ignore[attr-defined]
    shop.items.page = Page("page")  # type: ignore[attr-defined]
    assert client.get("/items/special").text == "special"
    assert client.get("/items/page/").text == "page"
    assert client.get("/items/3").text == "items 3"


def test_a_node_added_where_the_remembered_walk_found_none_is_seen() -> None:
    shop = Shop()
    client = serve(shop)
    assert client.get("/missing1").status == 404
    assert client.get("/missing2").status == 404
    # The walk of /missing1 read root.missing1: adding it makes that walk stale.
    shop.missing1 = Page("now here")  # type: ignore[attr-defined]
    assert client.get("/missing1/").text == "now here"
    assert client.get("/missing3").status == 404


def test_a_config_section_of_one_positional_value_applies_to_that_one_only() -> None:
    client = serve(Shop(), config={"/item/7": {"response.headers.X-Seven": "yes"}})
    assert "x-seven" not in client.get("/item/6").headers
    assert client.get("/item/7").headers["x-seven"] == "yes"
    assert "x-seven" not in client.get("/item/8").headers


def test_a_positional_handler_replaced_at_run_time_serves_new_values() -> None:
    shop = Shop()
    client = serve(shop)
    assert client.get("/item/1").text == "item 1"
    shop.item = cherrypit.expose(lambda number: f"new {number}")  # type: ignore[method-assign,assignment]
    assert client.get("/item/2").text == "new 2"
    del shop.item
    assert client.get("/item/3").text == "item 3"


def test_shapes_outlast_the_paths_dropped_to_make_room(
    monkeypatch: Any, walked_paths: list[str]
) -> None:
    monkeypatch.setattr(tree_module, "_WALK_CACHE_LIMIT", 16)
    client = serve(Shop())
    for i in range(50):
        assert client.get(f"/item/{i}").text == f"item {i}"
        assert client.get(f"/scan{i}.php").status == 404
    only = next(iter(cherrypit.tree.apps.values()))
    assert len(only.walk_cache()) <= 16
    # Each shape was walked once; the cache was emptied several times meanwhile.
    assert walked_paths == ["/item/0", "/scan0.php"]
