"""Bad input and misbehaving handlers: a clean 4xx/5xx, and nothing leaks to the next request."""

from __future__ import annotations

import io
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel import serving
from cherrypit.testing import Client


def test_header_names_cannot_forge_headers(kernel: None) -> None:
    class Root:
        @cherrypit.expose
        def index(self) -> str:
            cherrypit.response.headers["X-A\r\nSet-Cookie: evil=1\r\nX-B"] = "v"
            return "ok"

    cherrypit.tree.mount(Root())
    r = Client().get("/")
    names = [name for name, _ in r.header_list]
    assert "Set-Cookie" not in names
    assert all("\r" not in n and "\n" not in n and ":" not in n for n in names)


def test_error_pages_edited_by_a_handler_do_not_leak(kernel: None) -> None:
    class Root:
        @cherrypit.expose
        def tamper(self) -> str:
            cherrypit.request.error_page[404] = lambda **kw: "hijacked"
            return "done"

    cherrypit.tree.mount(Root())
    c = Client()
    assert c.get("/tamper").text == "done"
    assert "hijacked" not in c.get("/missing").text


def test_tool_maps_are_read_only_for_requests(kernel: None) -> None:
    class Root:
        @cherrypit.expose
        def index(self) -> str:
            with pytest.raises(TypeError):
                cherrypit.request.toolmaps["tools"] = {}  # type: ignore[index]
            return "ok"

    cherrypit.tree.mount(Root())
    assert Client().get("/").text == "ok"


def test_huge_numbers_in_the_query_string_are_not_a_500(kernel: None) -> None:
    class Root:
        @cherrypit.expose
        def index(self, **kw: Any) -> str:
            return "params=" + ",".join(sorted(kw))

    cherrypit.tree.mount(Root())
    r = Client().get("/?" + "9" * 5000 + ",1")
    assert r.status == 200


def test_internal_redirect_chains_are_capped(kernel: None) -> None:
    class Root:
        @cherrypit.expose
        def hop(self, n: str = "0") -> str:
            raise cherrypit.InternalRedirect(f"/hop?n={int(n) + 1}")

    cherrypit.tree.mount(Root())
    r = Client().get("/hop")
    assert r.status == 500
    assert b"secret" not in r.body


def test_start_response_failure_still_ends_the_request(kernel: None) -> None:
    ended: list[str] = []

    def on_end() -> None:
        ended.append("end")

    class Root:
        @cherrypit.expose
        def index(self) -> str:
            cherrypit.serving.session = "this request's session"
            cherrypit.request.hooks.attach("on_end_request", on_end)
            return "ok"

    cherrypit.tree.mount(Root())
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }

    def broken_start_response(status: str, headers: list[tuple[str, str]]) -> None:
        raise OSError("client went away")

    slot = serving.current()
    before = (slot.request, slot.response, slot.session)
    with pytest.raises(OSError, match="client went away"):
        cherrypit.tree(environ, broken_start_response)
    assert ended == ["end"]
    # The thread's slot is back to what it was: the next request sees no stale session.
    assert (slot.request, slot.response, slot.session) == before
