"""``cherrypit.url()`` inside and outside a request (checked against CherryPy 18.10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel.urls import normalize_path
from cherrypit.plugin import hookimpl
from cherrypit.testing import Client, fresh_site

BASE = "http://127.0.0.1:8080"


def urls_at(path: str, *calls: Callable[[], str], script_name: str = "/app") -> list[str]:
    """Serve ``path`` and return what each ``call`` gave inside that request."""
    results: list[str] = []

    class Sub:
        @cherrypit.expose
        def index(self) -> str:
            results.extend(call() for call in calls)
            return ""

        @cherrypit.expose
        def page(self, *args: str) -> str:
            results.extend(call() for call in calls)
            return ""

    class Root:
        sub = Sub()

        @cherrypit.expose
        def index(self) -> str:
            results.extend(call() for call in calls)
            return ""

    cherrypit.tree.mount(Root(), script_name)
    r = Client().get(path)
    assert r.status == 200, r.text
    return results


def test_current_url() -> None:
    assert urls_at("/app/sub/", lambda: cherrypit.url()) == [f"{BASE}/app/sub/"]
    cherrypit.tree.apps.clear()
    assert urls_at("/app/sub/page", lambda: cherrypit.url()) == [f"{BASE}/app/sub/page"]


def test_absolute_path_is_inside_the_application() -> None:
    assert urls_at("/app/sub/", lambda: cherrypit.url("/abs")) == [f"{BASE}/app/abs"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/app/sub/", f"{BASE}/app/sub/x"),
        ("/app/sub/page", f"{BASE}/app/sub/x"),
        ("/app/sub/page/", f"{BASE}/app/sub/x"),
        ("/app/sub/page/deep", f"{BASE}/app/sub/page/x"),
        ("/app/", f"{BASE}/app/x"),
    ],
)
def test_relative_path_is_joined_to_the_current_page(path: str, expected: str) -> None:
    assert urls_at(path, lambda: cherrypit.url("x")) == [expected]


def test_dot_segments_are_resolved() -> None:
    got = urls_at(
        "/app/sub/page/deep",
        lambda: cherrypit.url("../up"),
        lambda: cherrypit.url("./y/../z"),
    )
    assert got == [f"{BASE}/app/sub/up", f"{BASE}/app/sub/page/z"]


def test_query_string_forms() -> None:
    got = urls_at(
        "/app/sub/",
        lambda: cherrypit.url("x", qs="a=1"),
        lambda: cherrypit.url("x", qs={"a": "1 2"}),
        lambda: cherrypit.url("", qs=[("a", 1), ("b", 2)]),
    )
    assert got == [
        f"{BASE}/app/sub/x?a=1",
        f"{BASE}/app/sub/x?a=1+2",
        f"{BASE}/app/sub/?a=1&b=2",
    ]


def test_script_name_and_base_overrides() -> None:
    got = urls_at(
        "/app/sub/",
        lambda: cherrypit.url("/abs", script_name="/other"),
        lambda: cherrypit.url("/abs", script_name=""),
        lambda: cherrypit.url("/abs", base="https://b.example"),
    )
    assert got == [f"{BASE}/other/abs", f"{BASE}/abs", "https://b.example/app/abs"]


def test_relative_server() -> None:
    got = urls_at("/app/sub/", lambda: cherrypit.url("/abs", relative="server"))
    assert got == ["/app/abs"]


def test_relative_true() -> None:
    got = urls_at(
        "/app/sub/page/deep",
        lambda: cherrypit.url("x", relative=True),
        lambda: cherrypit.url("/sub/", relative=True),
        lambda: cherrypit.url("/", relative=True),
    )
    assert got == ["x", "../", "../../"]


def test_application_relative_urls_setting() -> None:
    results: list[str] = []

    class R:
        @cherrypit.expose
        def index(self) -> str:
            results.append(cherrypit.url("/a"))
            return ""

    app = cherrypit.tree.mount(R(), "/app")
    app.relative_urls = "server"
    Client().get("/app/")
    assert results == ["/app/a"]


def test_base_follows_host_header_and_scheme() -> None:
    results: list[str] = []

    class R:
        @cherrypit.expose
        def index(self) -> str:
            results.append(cherrypit.url("/p"))
            return ""

    cherrypit.tree.mount(R())
    Client(host="example.org", scheme="https").get("/")
    assert results == ["https://example.org/p"]


def test_outside_a_request_without_server_plugin() -> None:
    assert cherrypit.url("/x") == "http://127.0.0.1/x"
    assert cherrypit.url("/x", script_name="/app") == "http://127.0.0.1/app/x"
    assert cherrypit.url("/x", base="http://h") == "http://h/x"
    assert cherrypit.url("/x", qs={"q": "1"}) == "http://127.0.0.1/x?q=1"
    assert cherrypit.url("/x", relative="server") == "/x"


def test_outside_a_request_uses_the_server_plugin_base() -> None:
    class FakeServer:
        def base(self) -> str:
            return "https://served.example:8443"

    class ServerStub:
        @hookimpl
        def cherrypit_compat_attribute(self, module: str, name: str) -> Any:
            return FakeServer() if (module, name) == ("cherrypit", "server") else None

    fresh_site(autoload=False, plugins=[("server", ServerStub())])
    assert cherrypit.url("/x") == "https://served.example:8443/x"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/b", "/a/b"),
        ("/a/./b", "/a/b"),
        ("/a/../b", "/b"),
        ("/../../b", "/b"),
        ("a/./b/../c", "a/c"),
    ],
)
def test_normalize_path(path: str, expected: str) -> None:
    assert normalize_path(path) == expected
