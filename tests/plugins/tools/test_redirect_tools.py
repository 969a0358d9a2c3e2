"""trailing_slash (on by default), redirect and err_redirect."""

from __future__ import annotations

import cherrypit


class Sub:
    @cherrypit.expose
    def index(self):
        return "sub index"

    @cherrypit.expose
    def page(self):
        return "sub page"


class Root:
    sub = Sub()

    @cherrypit.expose
    def index(self):
        return "root"

    @cherrypit.expose
    def page(self, **kwargs):
        return "page " + ",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))

    @cherrypit.expose
    def target(self):
        prev = cherrypit.request.prev
        return f"target (from {prev.path_info if prev else None})"

    @cherrypit.expose
    def away(self):
        return "never served"

    @cherrypit.expose
    def broken(self):
        raise RuntimeError("broken")

    @cherrypit.expose
    def gone(self):
        raise cherrypit.HTTPError(410)


# --------------------------------------------------------------- trailing_slash


def test_missing_slash_on_index_is_a_301(mount):
    client = mount(Root())
    r = client.get("/sub")
    assert r.status == 301
    assert r.header("Location") == "http://127.0.0.1:8080/sub/"
    r = client.get("/sub", query={"a": "1", "b": "2"})
    assert r.header("Location") == "http://127.0.0.1:8080/sub/?a=1&b=2"
    assert client.get("/sub/").text == "sub index"


def test_extra_slash_is_served_unless_configured(mount):
    assert mount(Root()).get("/page/").status == 200
    client = mount(Root(), {"/": {"tools.trailing_slash.extra": True}})
    r = client.get("/page/", query="x=1")
    assert r.status == 301
    assert r.header("Location") == "http://127.0.0.1:8080/page?x=1"
    # Never redirect the root to an empty path.
    assert client.get("/").status == 200


def test_trailing_slash_status_and_off(mount):
    client = mount(Root(), {"/sub": {"tools.trailing_slash.status": 307}})
    assert client.get("/sub").status == 307
    client = mount(Root(), {"/": {"tools.trailing_slash.on": False}})
    assert client.get("/sub").text == "sub index"


def test_trailing_slash_under_a_script_name(mount):
    client = mount(Root(), script_name="/app")
    r = client.get("/app/sub")
    assert r.header("Location") == "http://127.0.0.1:8080/app/sub/"


def test_missing_false(mount):
    client = mount(Root(), {"/": {"tools.trailing_slash.missing": False}})
    assert client.get("/sub").text == "sub index"


# --------------------------------------------------------------------- redirect


def test_internal_redirect_tool(mount):
    client = mount(Root(), {"/away": {"tools.redirect.on": True, "tools.redirect.url": "/target"}})
    r = client.get("/away")
    assert (r.status, r.text) == (200, "target (from /away)")


def test_external_redirect_tool(mount):
    client = mount(
        Root(),
        {
            "/away": {
                "tools.redirect.on": True,
                "tools.redirect.url": "/target",
                "tools.redirect.internal": False,
            }
        },
    )
    r = client.get("/away")
    assert r.status == 303
    assert r.header("Location") == "http://127.0.0.1:8080/target"
    assert client.get("/away", protocol="HTTP/1.0").status == 302


# ----------------------------------------------------------------- err_redirect


def test_err_redirect_replaces_the_500_page(mount, error_log):
    client = mount(
        Root(), {"/": {"tools.err_redirect.on": True, "tools.err_redirect.url": "/target"}}
    )
    r = client.get("/broken")
    assert (r.status, r.text) == (200, "target (from /broken)")
    # log_tracebacks (on by default) still recorded the failure.
    assert "RuntimeError: broken" in error_log.text()


def test_err_redirect_leaves_http_errors_alone(mount):
    client = mount(
        Root(), {"/": {"tools.err_redirect.on": True, "tools.err_redirect.url": "/target"}}
    )
    assert client.get("/gone").status == 410


def test_err_redirect_external(mount):
    client = mount(
        Root(),
        {
            "/": {
                "tools.err_redirect.on": True,
                "tools.err_redirect.url": "/target",
                "tools.err_redirect.internal": False,
            }
        },
    )
    r = client.get("/broken")
    assert r.status == 303
    assert r.header("Location") == "http://127.0.0.1:8080/target"
