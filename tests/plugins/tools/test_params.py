"""tools.params: converting request parameters with the handler's annotations."""

from __future__ import annotations

import cherrypit


class Root:
    @cherrypit.expose
    @cherrypit.tools.params()
    def add(self, a: int = 0, b: float = 0.0, label="sum"):
        return f"{label}={a + b!r}"

    @cherrypit.expose
    @cherrypit.tools.params(exception=(ValueError, TypeError), error=422)
    def strict(self, n: int):
        return repr(n)

    @cherrypit.expose
    def raw(self, n: int = 0):
        return repr(n)


def test_params_are_converted(mount):
    client = mount(Root())
    assert client.get("/add", query={"a": "2", "b": "0.5"}).text == "sum=2.5"
    assert client.get("/add", query={"label": "total"}).text == "total=0.0"


def test_bad_value_is_400(mount):
    r = mount(Root()).get("/add", query={"a": "two"})
    assert r.status == 400
    assert "invalid literal for int()" in r.text


def test_custom_exception_and_status(mount):
    client = mount(Root())
    assert client.get("/strict", query={"n": "7"}).text == "7"
    assert client.get("/strict", query={"n": "x"}).status == 422


def test_without_the_tool_nothing_is_converted(mount):
    assert mount(Root()).get("/raw", query={"n": "5"}).text == "'5'"


def test_body_params_and_string_annotations(mount):
    # This module does not use `from __future__ import annotations`; emulate a handler
    # that does, so its annotations are strings.
    def typed(self, n="0"):
        return repr(n)

    typed.__annotations__ = {"n": "int"}

    class Stringy:
        pass

    setattr(Stringy, "typed", cherrypit.expose(cherrypit.tools.params()(typed)))
    client = mount(Stringy())
    r = client.post("/typed", data={"n": "41"})
    assert r.text == "41"
