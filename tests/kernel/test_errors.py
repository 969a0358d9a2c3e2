"""HTTPError, HTTPRedirect, NotFound, InternalRedirect and the error page."""

from __future__ import annotations

import re
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel import errors
from cherrypit._kernel.errors import bare_error, format_exc, get_error_page
from cherrypit.testing import Client


def serve_raising(exc_factory: Any, config: dict[str, Any] | None = None) -> Client:
    class R:
        @cherrypit.expose
        def index(self) -> str:
            raise exc_factory()

    cherrypit.tree.mount(R(), "", config)
    return Client()


# --- HTTPError ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [(404, 404, "Not Found"), ("403", 403, "Forbidden"), ("418 Teapot", 418, "Teapot")],
)
def test_http_error_status_forms(status: Any, code: int, reason: str) -> None:
    e = cherrypit.HTTPError(status)
    assert (e.code, e.reason) == (code, reason)


def test_http_error_status_outside_4xx_5xx_is_value_error() -> None:
    with pytest.raises(ValueError, match="between 400 and 599"):
        cherrypit.HTTPError(302)


@pytest.mark.parametrize(("status", "detail"), [("abc", "non-numeric"), (999, "out of range")])
def test_http_error_with_illegal_status_becomes_500(status: Any, detail: str) -> None:
    with pytest.raises(cherrypit.HTTPError) as info:
        cherrypit.HTTPError(status)
    assert info.value.code == 500
    assert detail in str(info.value)


def test_http_error_default_message_and_args() -> None:
    e = cherrypit.HTTPError(404)
    assert e.args == (404, None)
    e = cherrypit.HTTPError(400, "bad thing")
    assert e.args == (400, "bad thing")


def test_not_found_uses_the_request_path() -> None:
    class R:
        @cherrypit.expose
        def default(self, *args: str) -> str:
            raise cherrypit.NotFound()

    cherrypit.tree.mount(R(), "/app")
    r = Client().get("/app/some/where")
    assert r.status == 404
    assert "The path '/app/some/where' was not found." in r.text


def test_not_found_with_explicit_path() -> None:
    e = cherrypit.NotFound("/given")
    assert e.code == 404
    assert "/given" in e._message


def test_http_error_instance_as_page_handler_raises_itself() -> None:
    class R:
        gone = cherrypit.HTTPError(410)
        gone.exposed = True  # type: ignore[attr-defined]

    cherrypit.tree.mount(R())
    assert Client().get("/gone").status == 410


def test_http_error_handle_context_manager() -> None:
    class R:
        @cherrypit.expose
        def index(self, key: str) -> str:
            with cherrypit.HTTPError.handle(KeyError, 400, "no such key"):
                return {"a": "1"}[key]

        @cherrypit.expose
        def msg(self) -> str:
            with cherrypit.HTTPError.handle((KeyError, ValueError), 422):
                raise ValueError("bad value")

    cherrypit.tree.mount(R())
    c = Client()
    assert c.get("/?key=a").text == "1"
    r = c.get("/?key=b")
    assert r.status == 400
    assert "no such key" in r.text
    r = c.get("/msg")
    assert r.status == 422
    assert "bad value" in r.text


def test_error_page_markup_and_content_type() -> None:
    r = serve_raising(lambda: cherrypit.HTTPError(403, "not you")).get("/")
    assert r.status_line == "403 Forbidden"
    assert r.headers["content-type"] == "text/html;charset=utf-8"
    assert "<title>403 Forbidden</title>" in r.text
    assert re.search(r"<p>not you</p>", r.text)
    assert r.headers["content-length"] == str(len(r.body))


def test_short_custom_error_pages_are_padded_for_browsers() -> None:
    c = serve_raising(lambda: cherrypit.NotFound(), {"/": {"error_page.404": lambda **kw: "tiny"}})
    r = c.get("/")
    assert r.status == 404
    assert r.body.startswith(b"tiny")
    assert len(r.body) > 512
    assert r.body.strip() == b"tiny"


def test_an_error_page_file_is_sent_with_its_own_line_endings(tmp_path: Any) -> None:
    page = tmp_path / "404.html"
    page.write_bytes(b"Not here: %(status)s\r\nSorry.\r\n")
    r = serve_raising(lambda: cherrypit.NotFound(), {"/": {"error_page.404": str(page)}}).get("/")
    assert r.status == 404
    assert r.body.startswith(b"Not here: 404 Not Found\r\nSorry.\r\n")


def test_error_page_callable_result_types() -> None:
    for result in (b"bytes page", "str page", ["list ", b"page"]):
        cherrypit.tree.apps.clear()
        c = serve_raising(
            lambda: cherrypit.HTTPError(409), {"/": {"error_page.409": lambda r=result, **kw: r}}
        )
        body = c.get("/").body.strip()
        assert body in (b"bytes page", b"str page", b"list page")


def test_traceback_in_http_error_page_only_when_enabled() -> None:
    def fail() -> Exception:
        try:
            raise KeyError("inner-cause")
        except KeyError:
            return cherrypit.HTTPError(400)

    off = serve_raising(fail).get("/")
    assert "Traceback" not in off.text


# --- HTTPRedirect ---------------------------------------------------------------------


def test_redirect_urls_are_absolute_and_code_property() -> None:
    e = cherrypit.HTTPRedirect("/x", 301)
    assert e.urls[0].endswith("/x")
    assert e.urls[0].startswith("http")
    assert e.status == e.code == 301


def test_redirect_accepts_bytes_and_lists() -> None:
    assert cherrypit.HTTPRedirect(b"/y").urls[0].endswith("/y")  # type: ignore[arg-type]
    e = cherrypit.HTTPRedirect(["/a", "/b"], 300)
    assert [u.rsplit("/", 1)[1] for u in e.urls] == ["a", "b"]


def test_redirect_strips_every_control_character() -> None:
    e = cherrypit.HTTPRedirect("/a\x00b\tc\x7fd\re\nf")
    assert e.urls[0].endswith("/abcdef")


@pytest.mark.parametrize("status", [200, 299, 400, 500])
def test_redirect_status_must_be_3xx(status: int) -> None:
    with pytest.raises(ValueError, match="between 300 and 399"):
        cherrypit.HTTPRedirect("/x", status)


def test_redirect_href_is_quoted() -> None:
    c = serve_raising(lambda: cherrypit.HTTPRedirect('/q?a="1"&b=<2>'))
    r = c.get("/")
    assert r.status == 303
    assert "<2>" not in r.text
    # a URL holding double quotes is put in single quotes (as xml.sax.saxutils.quoteattr)
    assert "href='http://127.0.0.1:8080/q?a=\"1\"&amp;b=&lt;2&gt;'" in r.text


def test_redirect_305_and_unknown_3xx() -> None:
    c = serve_raising(lambda: cherrypit.HTTPRedirect("/proxy", 305))
    r = c.get("/")
    assert r.status == 305
    assert r.headers["location"].endswith("/proxy")
    assert r.body == b""
    cherrypit.tree.apps.clear()
    r = serve_raising(lambda: cherrypit.HTTPRedirect("/x", 399)).get("/")
    assert r.status == 500


def test_redirect_called_raises_itself() -> None:
    e = cherrypit.HTTPRedirect("/x")
    with pytest.raises(cherrypit.HTTPRedirect):
        e()


def test_redirect_raised_from_error_response() -> None:
    def error_response() -> None:
        raise cherrypit.HTTPRedirect("/oops")

    c = serve_raising(lambda: ValueError("x"), {"/": {"request.error_response": error_response}})
    r = c.get("/")
    assert r.status == 303
    assert r.headers["location"].endswith("/oops")


# --- InternalRedirect -----------------------------------------------------------------


def test_internal_redirect_resolves_relative_to_path_info() -> None:
    seen: dict[str, Any] = {}

    class Sub:
        @cherrypit.expose
        def start(self) -> str:
            ir = cherrypit.InternalRedirect("other?x=1")
            seen["path"], seen["qs"] = ir.path, ir.query_string
            raise ir

        @cherrypit.expose
        def other(self, x: str) -> str:
            return "other " + x

    class R:
        sub = Sub()

    cherrypit.tree.mount(R())
    assert Client().get("/sub/start").text == "other 1"
    assert seen == {"path": "/sub/other", "qs": "x=1"}


def test_internal_redirect_to_missing_page_is_404() -> None:
    c = serve_raising(lambda: cherrypit.InternalRedirect("/nowhere"))
    assert c.get("/").status == 404


def test_internal_redirect_from_a_hook() -> None:
    class R:
        @cherrypit.expose
        def index(self) -> str:
            return "index"

        @cherrypit.expose
        def login(self) -> str:
            return "login page for " + cherrypit.request.prev.path_info  # type: ignore[union-attr]

    def guard() -> None:
        if cherrypit.request.path_info != "/login":
            raise cherrypit.InternalRedirect("/login")

    cherrypit.tree.mount(R(), "", {"/": {"hooks.before_handler": guard}})
    assert Client().get("/").text == "login page for /"


def test_internal_redirect_runs_on_end_request_for_each_request() -> None:
    ended: list[str] = []

    class R:
        @cherrypit.expose
        def index(self) -> str:
            raise cherrypit.InternalRedirect("/target")

        @cherrypit.expose
        def target(self) -> str:
            return "t"

    def end() -> None:
        ended.append(cherrypit.request.path_info)

    cherrypit.tree.mount(R(), "", {"/": {"hooks.on_end_request": end}})
    assert Client().get("/").text == "t"
    assert ended == ["/", "/target"]


# --- helpers --------------------------------------------------------------------------


def test_bare_error() -> None:
    status, headers, body = bare_error()
    assert status == "500 Internal Server Error"
    assert dict(headers)["Content-Length"] == str(len(body[0]))
    status, headers, body = bare_error("details")
    assert body[0].endswith(b"\ndetails")
    assert dict(headers)["Content-Length"] == str(len(body[0]))


def test_format_exc() -> None:
    assert format_exc() == ""
    try:
        raise ValueError("marker-123")
    except ValueError:
        text = format_exc()
    assert text.startswith("Traceback")
    assert "marker-123" in text


def test_get_error_page_escapes_every_value() -> None:
    page = get_error_page(404, message="<m>", traceback="<t>", version="<v>").decode()
    assert "<m>" not in page and "&lt;m&gt;" in page
    assert "<t>" not in page and "&lt;t&gt;" in page
    assert "<v>" not in page


def test_config_error_is_a_value_error() -> None:
    assert issubclass(cherrypit.ConfigError, ValueError)
    assert issubclass(cherrypit.ConfigError, cherrypit.CherryPyException)
    assert issubclass(errors.HTTPError, cherrypit.CherryPyException)
