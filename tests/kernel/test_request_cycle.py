"""The request cycle on the bare kernel: hook points, errors, redirects, bodies, streaming.

Expectations were checked against CherryPy 18.10 unless a comment says cherrypit differs
on purpose.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypit
from cherrypit._kernel.hooks import POINTS
from cherrypit.testing import Client, TestResponse
from cherrypit.testing import mount_and_client as serve

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def message(r: TestResponse) -> str:
    """The message of an error answer (it must have one)."""
    assert r.error_message is not None, r.text
    return r.error_message


def handler(func: Any) -> Any:
    """A root object whose index is ``func``."""

    class R:
        index = cherrypit.expose(func)

    return R()


# --- hook points ----------------------------------------------------------------------


def test_hook_points_run_in_cycle_order() -> None:
    calls: list[str] = []
    conf = {f"hooks.{p}": (lambda p=p: calls.append(p)) for p in POINTS}

    def index() -> str:
        calls.append("handler")
        return "ok"

    c = serve(handler(lambda self: index()), {"/": conf})
    assert c.get("/").text == "ok"
    assert calls == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "handler",
        "before_finalize",
        "on_end_resource",
        "on_end_request",
    ]


def test_error_hook_points_run_on_unexpected_error() -> None:
    calls: list[str] = []
    conf = {f"hooks.{p}": (lambda p=p: calls.append(p)) for p in POINTS}

    def boom(self: Any) -> str:
        raise ValueError("boom")

    c = serve(handler(boom), {"/": conf})
    assert c.get("/").status == 500
    assert calls == [
        "on_start_resource",
        "before_request_body",
        "before_handler",
        "on_end_resource",
        "before_error_response",
        "after_error_response",
        "on_end_request",
    ]


def test_http_error_goes_through_before_finalize_not_error_points() -> None:
    calls: list[str] = []
    conf = {f"hooks.{p}": (lambda p=p: calls.append(p)) for p in POINTS}

    def nope(self: Any) -> str:
        raise cherrypit.HTTPError(403)

    c = serve(handler(nope), {"/": conf})
    assert c.get("/").status == 403
    assert "before_finalize" in calls
    assert "before_error_response" not in calls
    assert calls[-2:] == ["on_end_resource", "on_end_request"]


def test_hooks_attached_at_run_time_obey_priority() -> None:
    calls: list[str] = []

    def index(self: Any) -> str:
        hooks = cherrypit.request.hooks
        hooks.attach("before_finalize", lambda: calls.append("p60"), priority=60)
        hooks.attach("before_finalize", lambda: calls.append("p10"), priority=10)
        hooks.attach("before_finalize", lambda: calls.append("default50"))
        hooks.attach("before_finalize", lambda: calls.append("second50"))
        return "ok"

    c = serve(handler(index))
    assert c.get("/").text == "ok"
    assert calls == ["p10", "default50", "second50", "p60"]


def test_hooks_attached_at_run_time_do_not_leak_into_next_request() -> None:
    calls: list[int] = []

    def index(self: Any) -> str:
        cherrypit.request.hooks.attach("before_finalize", lambda: calls.append(1))
        return "ok"

    c = serve(handler(index))
    c.get("/")
    c.get("/")
    assert calls == [1, 1]


def test_hook_priority_attribute_on_callable_is_used() -> None:
    calls: list[str] = []

    def late() -> None:
        calls.append("late")

    late.priority = 90  # type: ignore[attr-defined]

    def early() -> None:
        calls.append("early")

    early.priority = 5  # type: ignore[attr-defined]

    c = serve(
        handler(lambda self: "ok"),
        {"/": {"hooks.before_handler.a": late, "hooks.before_handler.b": early}},
    )
    c.get("/")
    assert calls == ["early", "late"]


def test_failing_hook_stops_others_but_failsafe_hooks_still_run() -> None:
    calls: list[str] = []

    def index(self: Any) -> str:
        hooks = cherrypit.request.hooks

        def fail() -> None:
            calls.append("fail")
            raise ValueError("hook failed")

        hooks.attach("on_end_resource", fail, priority=10)
        hooks.attach("on_end_resource", lambda: calls.append("normal"), priority=20)
        hooks.attach("on_end_resource", lambda: calls.append("failsafe"), True, 30)
        return "ok"

    c = serve(handler(index))
    r = c.get("/")
    assert calls == ["fail", "failsafe"]
    assert r.status == 500


def test_hooks_config_accepts_dotted_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hookmod_for_cycle_test.py").write_text(
        "import cherrypit\ndef mark():\n    cherrypit.response.headers['X-Hooked'] = 'yes'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    c = serve(
        handler(lambda self: "ok"),
        {"/": {"hooks.before_finalize": "hookmod_for_cycle_test.mark"}},
    )
    assert c.get("/").headers["x-hooked"] == "yes"


def test_hooks_config_bad_dotted_name_is_an_error_naming_the_key() -> None:
    c = serve(handler(lambda self: "ok"), {"/": {"hooks.before_finalize": "no_such_mod.func"}})
    r = c.get("/")
    assert r.status == 500


def test_http_error_raised_in_a_hook() -> None:
    def deny() -> None:
        raise cherrypit.HTTPError(401, "who are you")

    c = serve(handler(lambda self: "secret"), {"/": {"hooks.before_handler": deny}})
    r = c.get("/")
    assert r.status == 401
    assert message(r) == "who are you"
    assert "secret" not in r.text


def test_redirect_raised_in_a_hook() -> None:
    def go() -> None:
        raise cherrypit.HTTPRedirect("/elsewhere")

    c = serve(handler(lambda self: "page"), {"/": {"hooks.on_start_resource": go}})
    r = c.get("/")
    assert r.status == 303
    assert r.headers["location"] == "http://127.0.0.1:8080/elsewhere"


def test_hook_can_skip_the_handler() -> None:
    def answer() -> None:
        cherrypit.response.body = b"from hook"
        cherrypit.request.handler = None

    c = serve(handler(lambda self: "handler"), {"/": {"hooks.before_handler": answer}})
    assert c.get("/").text == "from hook"


def test_unknown_hook_point_attach_is_key_error() -> None:
    def index(self: Any) -> str:
        try:
            cherrypit.request.hooks.attach("before_handlr", lambda: None)
        except KeyError as exc:
            return str(exc)
        return "no error"

    assert "before_handlr" in serve(handler(index)).get("/").text


# --- errors ---------------------------------------------------------------------------


def test_unexpected_exception_is_500_without_traceback_by_default() -> None:
    def boom(self: Any) -> str:
        raise ValueError("kaboom-secret")

    r = serve(handler(boom)).get("/")
    assert r.status == 500
    assert "kaboom-secret" not in r.text
    assert "Traceback" not in r.text


def test_show_tracebacks_on_puts_traceback_in_page() -> None:
    def boom(self: Any) -> str:
        raise ValueError("kaboom-visible")

    r = serve(handler(boom), {"/": {"request.show_tracebacks": True}}).get("/")
    assert r.status == 500
    assert "Traceback" in r.text
    assert "kaboom-visible" in r.text


def test_production_environment_hides_tracebacks() -> None:
    cherrypit.config.update({"request.show_tracebacks": True})
    cherrypit.config.update({"environment": "production"})

    def boom(self: Any) -> str:
        raise ValueError("kaboom-env")

    r = serve(handler(boom)).get("/")
    assert r.status == 500
    assert "kaboom-env" not in r.text


def test_http_error_message_is_html_escaped() -> None:
    def xss(self: Any) -> str:
        raise cherrypit.HTTPError(400, "<script>alert(1)</script>")

    r = serve(handler(xss)).get("/")
    assert r.status == 400
    assert "<script>" not in r.text
    assert message(r) == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_not_found_path_is_escaped() -> None:
    r = serve(handler(lambda self: "")).get("/<b>x</b>")
    assert r.status == 404
    assert "<b>" not in r.text


def test_http_error_custom_status_string() -> None:
    def teapot(self: Any) -> str:
        raise cherrypit.HTTPError("418 Short and Stout", "teapot")

    r = serve(handler(teapot)).get("/")
    assert r.status_line == "418 Short and Stout"
    assert message(r) == "teapot"


def test_error_response_override() -> None:
    def custom() -> None:
        cherrypit.response.status = 503
        cherrypit.response.body = b"custom error"

    def boom(self: Any) -> str:
        raise ValueError

    c = serve(handler(boom), {"/": {"request.error_response": custom}})
    r = c.get("/")
    assert r.status == 503
    assert r.text == "custom error"


def test_error_page_file(tmp_path: Path) -> None:
    page = tmp_path / "404.html"
    page.write_text("<h1>%(status)s</h1><p>%(message)s</p>")
    c = serve(handler(lambda self: ""), {"/": {"error_page.404": str(page)}})
    r = c.get("/missing")
    assert r.status == 404
    assert r.text.startswith("<h1>404 Not Found</h1>")
    assert "was not found" in r.text
    assert r.headers["content-type"].startswith("text/html")


def test_error_page_callable_gets_escaped_values() -> None:
    seen: dict[str, str] = {}

    def page(**kw: str) -> str:
        seen.update(kw)
        return f"custom {kw['status']}"

    def bad(self: Any) -> str:
        raise cherrypit.HTTPError(400, "<i>bad</i>")

    c = serve(handler(bad), {"/": {"error_page.400": page}})
    r = c.get("/")
    assert r.status == 400
    assert r.text.startswith("custom 400 Bad Request")
    assert seen["message"] == "&lt;i&gt;bad&lt;/i&gt;"
    assert set(seen) >= {"status", "message", "traceback", "version"}


def test_error_page_default_applies_to_any_status() -> None:
    c = serve(handler(lambda self: ""), {"/": {"error_page.default": lambda **kw: "any error"}})
    assert c.get("/missing").text.startswith("any error")


def test_specific_error_page_wins_over_default() -> None:
    c = serve(
        handler(lambda self: ""),
        {"/": {"error_page.default": lambda **kw: "default", "error_page.404": lambda **kw: "404"}},
    )
    assert c.get("/missing").text.startswith("404")


def test_broken_error_page_falls_back_with_note(tmp_path: Path) -> None:
    c = serve(handler(lambda self: ""), {"/": {"error_page.404": str(tmp_path / "nope.html")}})
    r = c.get("/missing")
    assert r.status == 404
    assert "In addition, the custom error page failed" in r.text
    assert "was not found" in r.text


def test_broken_error_page_callable(tmp_path: Path) -> None:
    def page(**kw: str) -> str:
        raise RuntimeError("page exploded")

    r = serve(handler(lambda self: ""), {"/": {"error_page.404": page}}).get("/x")
    assert r.status == 404
    assert "In addition, the custom error page failed" in r.text
    assert "page exploded" in r.text


def test_error_page_for_unexpected_error() -> None:
    def boom(self: Any) -> str:
        raise ValueError

    c = serve(handler(boom), {"/": {"error_page.500": lambda **kw: "sorry"}})
    r = c.get("/")
    assert r.status == 500
    assert r.text.startswith("sorry")


def test_error_clears_content_headers_but_keeps_others() -> None:
    def fail(self: Any) -> str:
        h = cherrypit.response.headers
        h["ETag"] = '"x"'
        h["Last-Modified"] = "Mon, 01 Jan 2024 00:00:00 GMT"
        h["X-Keep"] = "kept"
        raise cherrypit.HTTPError(409)

    r = serve(handler(fail)).get("/")
    assert r.status == 409
    assert "etag" not in r.headers
    assert "last-modified" not in r.headers
    assert r.headers["x-keep"] == "kept"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (201, "201 Created"),
        ("202", "202 Accepted"),
        ("299 Custom", "299 Custom"),
        ("404 Gone Away", "404 Gone Away"),
    ],
)
def test_response_status_values(value: Any, expected: str) -> None:
    def index(self: Any) -> str:
        cherrypit.response.status = value
        return "x"

    r = serve(handler(index)).get("/")
    assert r.status_line == expected
    assert r.text == "x"


@pytest.mark.parametrize("value", [999, "abc", 99])
def test_invalid_response_status_is_500(value: Any) -> None:
    def index(self: Any) -> str:
        cherrypit.response.status = value
        return "x"

    r = serve(handler(index)).get("/")
    assert r.status == 500
    assert "Illegal response status" in message(r)


def test_generator_raising_in_non_streamed_response_is_500_page() -> None:
    def index(self: Any) -> Any:
        def gen() -> Iterator[bytes]:
            yield b"partial"
            raise ValueError("generator failed")

        return gen()

    r = serve(handler(index)).get("/")
    assert r.status == 500
    assert "partial" not in r.text


def test_cycle_failure_in_error_handling_gives_bare_500() -> None:
    def broken_error_response() -> None:
        raise RuntimeError("error handler broke")

    def boom(self: Any) -> str:
        raise ValueError

    c = serve(handler(boom), {"/": {"request.error_response": broken_error_response}})
    r = c.get("/")
    assert r.status == 500
    assert r.text.startswith("Unrecoverable error in the server.")
    assert "error handler broke" not in r.text


def test_throw_errors_lets_the_exception_out() -> None:
    def boom(self: Any) -> str:
        raise LookupError("out")

    c = serve(handler(boom), {"/": {"request.throw_errors": True}})
    with pytest.raises(LookupError):
        c.get("/")


# --- redirects ------------------------------------------------------------------------


def redirect_root() -> Any:
    class R:
        @cherrypit.expose
        def go(self, to: str = "/target", code: str | None = None) -> str:
            raise cherrypit.HTTPRedirect(to, int(code) if code else None)

        @cherrypit.expose
        def multi(self) -> str:
            raise cherrypit.HTTPRedirect(["/a", "/b"], 300)

        @cherrypit.expose
        def ctl(self) -> str:
            raise cherrypit.HTTPRedirect("/x\r\nSet-Cookie: evil=1")

        @cherrypit.expose
        def not_modified(self) -> str:
            cherrypit.response.headers["Last-Modified"] = "Mon, 01 Jan 2024 00:00:00 GMT"
            raise cherrypit.HTTPRedirect("", 304)

    return R()


@pytest.mark.parametrize(
    ("code", "reason", "text"),
    [
        (301, "Moved Permanently", "This resource has permanently moved to "),
        (302, "Found", "This resource resides temporarily at "),
        (303, "See Other", "This resource can be found at "),
        (307, "Temporary Redirect", "This resource has moved temporarily to "),
        (308, "Permanent Redirect", "This resource has been moved to "),
    ],
)
def test_redirect_statuses(code: int, reason: str, text: str) -> None:
    r = serve(redirect_root()).get(f"/go?code={code}")
    assert r.status_line == f"{code} {reason}"
    assert r.headers["location"] == "http://127.0.0.1:8080/target"
    assert r.text.startswith(text)
    assert r.headers["content-length"] == str(len(r.body))


def test_redirect_default_is_303_for_http11_and_302_for_http10() -> None:
    c = serve(redirect_root())
    assert c.get("/go").status == 303
    assert c.get("/go", protocol="HTTP/1.0").status == 302


def test_redirect_relative_url_is_joined_to_current_url() -> None:
    c = serve(redirect_root(), script_name="/app")
    r = c.get("/app/go?to=rel")
    assert r.headers["location"] == "http://127.0.0.1:8080/app/rel"
    r = c.get("/app/go?to=http://other.example/x")
    assert r.headers["location"] == "http://other.example/x"


def test_redirect_300_lists_every_url() -> None:
    r = serve(redirect_root()).get("/multi")
    assert r.status == 300
    assert r.headers["location"] == "http://127.0.0.1:8080/a"
    assert "http://127.0.0.1:8080/a" in r.text
    assert "http://127.0.0.1:8080/b" in r.text


def test_redirect_strips_control_characters_from_location() -> None:
    r = serve(redirect_root()).get("/ctl")
    location = r.headers["location"]
    assert "\r" not in location and "\n" not in location
    assert location == "http://127.0.0.1:8080/xSet-Cookie: evil=1"
    assert "set-cookie" not in r.headers


def test_redirect_304_has_no_body_nor_content_headers() -> None:
    r = serve(redirect_root()).get("/not_modified")
    assert r.status == 304
    assert r.body == b""
    assert "content-length" not in r.headers
    assert "last-modified" not in r.headers
    assert "content-type" not in r.headers


def test_redirect_status_out_of_range_is_an_error() -> None:
    with pytest.raises(ValueError):
        cherrypit.HTTPRedirect("/x", 404)


# --- internal redirects ---------------------------------------------------------------


class IRRoot:
    @cherrypit.expose
    def start(self, to: str) -> str:
        raise cherrypit.InternalRedirect(to)

    @cherrypit.expose
    def target(self, **kw: str) -> str:
        prev = cherrypit.request.prev
        text = f"target {sorted(kw.items())} prev={prev.path_info if prev else None}"
        return text + (" " + cherrypit.request.method if prev and prev.method == "POST" else "")

    @cherrypit.expose
    def loop(self) -> str:
        raise cherrypit.InternalRedirect("/loop")

    @cherrypit.expose
    def posted(self, **kw: str) -> str:
        raise cherrypit.InternalRedirect("target")


def test_internal_redirect_relative() -> None:
    r = serve(IRRoot()).get("/start?to=target")
    assert r.status == 200
    assert r.text == "target [] prev=/start"


def test_internal_redirect_with_query_string() -> None:
    c = serve(IRRoot())
    assert c.get("/start", query={"to": "/target?a=1"}).text == "target [('a', '1')] prev=/start"
    assert c.get("/start", query={"to": "target?b=2"}).text == "target [('b', '2')] prev=/start"


def test_internal_redirect_under_a_script_name() -> None:
    c = serve(IRRoot(), script_name="/app")
    assert c.get("/app/start?to=target").text == "target [] prev=/start"


def test_internal_redirect_loop_is_500() -> None:
    r = serve(IRRoot()).get("/loop")
    assert r.status == 500


def test_internal_redirect_turns_post_into_get_without_body() -> None:
    c = serve(IRRoot())
    r = c.post("/posted", body="a=1", headers=FORM)
    assert r.status == 200
    assert r.text == "target [] prev=/posted GET"


# --- streaming ------------------------------------------------------------------------


def test_streamed_generator_body_and_on_end_request_after_close() -> None:
    events: list[str] = []

    def index(self: Any) -> Any:
        cherrypit.request.hooks.attach("on_end_request", lambda: events.append("end"))

        def gen() -> Iterator[str]:
            events.append("first chunk")
            yield "a"
            yield "b"
            events.append("last chunk")

        return gen()

    cherrypit.tree.mount(handler(index), "", {"/": {"response.stream": True}})
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        captured["status"] = status
        captured["headers"] = headers

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
    }
    result = cherrypit.tree(environ, start_response)
    assert captured["status"] == "200 OK"
    assert "Content-Length" not in dict(captured["headers"])
    assert events == []  # nothing produced before the server iterates
    chunks = list(result)
    assert chunks == [b"a", b"b"]
    assert events == ["first chunk", "last chunk"]
    result.close()
    assert events == ["first chunk", "last chunk", "end"]


def test_streamed_response_with_client() -> None:
    def index(self: Any) -> Any:
        return iter([b"x", "y"])

    c = serve(handler(index), {"/": {"response.stream": True}})
    r = c.get("/")
    assert r.body == b"xy"
    assert "content-length" not in r.headers


def test_non_streamed_generator_gets_content_length() -> None:
    r = serve(handler(lambda self: (s for s in ["ab", "cd"]))).get("/")
    assert r.text == "abcd"
    assert r.headers["content-length"] == "4"


def test_str_body_is_utf8_encoded_without_plugins() -> None:
    r = serve(handler(lambda self: "h\u00e9llo \u20ac")).get("/")
    assert r.body == "h\u00e9llo \u20ac".encode()
    assert r.headers["content-length"] == str(len(r.body))


def test_list_of_mixed_chunks_and_none_body() -> None:
    c = serve(handler(lambda self: ["a", b"b"]))
    assert c.get("/").body == b"ab"
    r = serve(handler(lambda self: None), script_name="/none").get("/none/")
    assert r.body == b""
    assert r.headers["content-length"] == "0"


def test_file_body_is_read_and_closed(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"file-data" * 100)
    opened: list[Any] = []

    def index(self: Any) -> Any:
        f = open(path, "rb")
        opened.append(f)
        return f

    r = serve(handler(index)).get("/")
    assert r.body == b"file-data" * 100
    assert opened[0].closed


# --- cookies --------------------------------------------------------------------------


def test_request_cookies_are_parsed() -> None:
    def index(self: Any) -> str:
        jar = cherrypit.request.cookie
        return f"{jar['a'].value},{jar['b'].value}"

    c = serve(handler(index))
    assert c.get("/", headers={"Cookie": "a=1; b=two"}).text == "1,two"


def test_response_cookies_are_sent() -> None:
    def index(self: Any) -> str:
        cherrypit.response.cookie["sid"] = "abc"
        cherrypit.response.cookie["sid"]["path"] = "/"
        cherrypit.response.cookie["other"] = "x"
        return "ok"

    c = serve(handler(index))
    r = c.get("/")
    cookies = r.header_values("Set-Cookie")
    assert len(cookies) == 2
    assert any(v.startswith("sid=abc") and "Path=/" in v for v in cookies)
    assert c.cookies == {"sid": "abc", "other": "x"}


def test_malformed_cookie_header_is_ignored_not_an_error() -> None:
    def index(self: Any) -> str:
        return str(sorted(cherrypit.request.cookie))

    c = serve(handler(index))
    r = c.get("/", headers={"Cookie": 'a="unterminated'})
    assert r.status == 200
    assert r.text == "[]"


# --- request attributes ---------------------------------------------------------------


def test_request_attributes() -> None:
    seen: dict[str, Any] = {}

    class R:
        @cherrypit.expose
        def page(self, *args: str, **kw: str) -> str:
            req = cherrypit.request
            seen.update(
                base=req.base,
                scheme=req.scheme,
                remote=(req.remote.ip, req.remote.port),
                local_port=req.local.port,
                header=req.headers["x-my-header"],
                header2=req.headers.get("X-MY-HEADER"),
                params=dict(req.params),
                app=req.app,
                handler=req.handler,
                config=req.config.get("myapp.value"),
                script_name=req.script_name,
                path_info=req.path_info,
                query_string=req.query_string,
                method=req.method,
                protocol=req.protocol,
                request_line=req.request_line,
                is_index=req.is_index,
            )
            return "ok"

    app = cherrypit.tree.mount(R(), "/app", {"/": {"myapp.value": 42}})
    c = Client(host="example.com:8081", remote_addr="10.1.2.3")
    c.get("/app/page/extra?x=1", headers={"X-My-Header": "hv"})
    assert seen["base"] == "http://example.com:8081"
    assert seen["scheme"] == "http"
    assert seen["remote"] == ("10.1.2.3", 54321)
    assert seen["local_port"] == 8081
    assert seen["header"] == seen["header2"] == "hv"
    assert seen["params"] == {"x": "1"}
    assert seen["app"] is app
    assert seen["handler"] is not None
    assert seen["config"] == 42
    assert seen["script_name"] == "/app"
    assert seen["path_info"] == "/page/extra"
    assert seen["query_string"] == "x=1"
    assert seen["method"] == "GET"
    assert seen["protocol"] == (1, 1)
    assert seen["request_line"] == "GET /app/page/extra?x=1 HTTP/1.1"
    assert seen["is_index"] is False


def test_https_scheme_and_base() -> None:
    def index(self: Any) -> str:
        return f"{cherrypit.request.scheme} {cherrypit.request.base}"

    cherrypit.tree.mount(handler(index))
    r = Client(scheme="https", host="secure.example").get("/")
    assert r.text == "https https://secure.example"


def test_login_from_remote_user() -> None:
    def index(self: Any) -> str:
        return str(cherrypit.request.login)

    cherrypit.tree.mount(handler(index))
    assert Client().get("/").text == "None"

    captured: dict[str, Any] = {}

    def start_response(status: str, headers: Any, exc: Any = None) -> None:
        captured["status"] = status

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "h",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "h",
        "REMOTE_USER": "alice",
        "wsgi.url_scheme": "http",
    }
    assert b"".join(cherrypit.tree(environ, start_response)) == b"alice"


def test_missing_host_header_on_http11_is_400() -> None:
    cherrypit.tree.mount(handler(lambda self: "ok"))
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: Any, exc: Any = None) -> None:
        captured["status"] = status

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "h",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
    }
    cherrypit.tree(environ, start_response)
    assert captured["status"].startswith("400")
    environ["SERVER_PROTOCOL"] = "HTTP/1.0"
    assert b"".join(cherrypit.tree(environ, start_response)) == b"ok"
    assert captured["status"].startswith("200")


def test_unique_id_is_stable_within_a_request_and_differs_between_requests() -> None:
    def index(self: Any) -> str:
        a = cherrypit.request.unique_id
        b = cherrypit.request.unique_id
        assert a == b
        return str(a)

    c = serve(handler(index))
    first, second = c.get("/").text, c.get("/").text
    assert len(first) == 36
    assert first != second


def test_request_and_response_proxies_outside_a_request() -> None:
    assert cherrypit.request.app is None
    assert cherrypit.request.prev is None


def test_request_params_can_be_changed_by_a_hook_before_the_handler() -> None:
    def add_param() -> None:
        cherrypit.request.params["extra"] = "added"

    def index(self: Any, extra: str = "") -> str:
        return extra

    c = serve(handler(index), {"/": {"hooks.before_handler": add_param}})
    assert c.get("/").text == "added"


def test_custom_attributes_on_request_do_not_leak() -> None:
    def index(self: Any) -> str:
        before = getattr(cherrypit.request, "mine", "unset")
        cherrypit.request.mine = "set"  # type: ignore[attr-defined]
        return before

    c = serve(handler(index))
    assert c.get("/").text == "unset"
    assert c.get("/").text == "unset"


def test_thread_data_is_per_thread() -> None:
    def index(self: Any, value: str) -> str:
        previous = getattr(cherrypit.thread_data, "value", "none")
        cherrypit.thread_data.value = value
        return previous

    c = serve(handler(index))
    assert c.get("/?value=1").text == "none"
    assert c.get("/?value=2").text == "1"
    results: list[str] = []
    t = threading.Thread(target=lambda: results.append(Client().get("/?value=3").text))
    t.start()
    t.join()
    assert results == ["none"]
    assert c.get("/?value=4").text == "2"


# --- request body ---------------------------------------------------------------------


def test_urlencoded_body() -> None:
    def index(self: Any, name: str, age: str) -> str:
        return f"{name}:{age}"

    c = serve(handler(index))
    assert c.post("/", data={"name": "bob", "age": "7"}).text == "bob:7"


def test_multipart_upload() -> None:
    def index(self: Any, title: str, upload: Any) -> str:
        data = upload.file.read()
        return f"{title}|{upload.filename}|{upload.content_type}|{data.decode()}"

    c = serve(handler(index))
    r = c.post("/", data={"title": "t"}, files={"upload": ("a.txt", b"file body", "text/plain")})
    assert r.status == 200
    assert r.text == "t|a.txt|text/plain|file body"


def test_raw_body_with_process_request_body_off() -> None:
    def index(self: Any) -> str:
        raw = cherrypit.request.body.read()
        return f"{len(cherrypit.request.params)}:{raw.decode()}"

    c = serve(handler(index), {"/": {"request.process_request_body": False}})
    assert c.post("/", body="a=1&b=2", headers=FORM).text == "0:a=1&b=2"


def test_json_body_is_left_for_the_handler() -> None:
    def index(self: Any) -> str:
        return str(cherrypit.request.body.read().decode())

    c = serve(handler(index))
    assert c.post("/", json={"k": 1}).text == '{"k": 1}'


def test_body_maxbytes_is_413() -> None:
    def index(self: Any, **kw: str) -> str:
        return "ok"

    c = serve(handler(index), {"/": {"request.body.maxbytes": 10}})
    assert c.post("/", body="a=1", headers=FORM).text == "ok"
    r = c.post("/", body="a=" + "x" * 50, headers=FORM)
    assert r.status == 413


def test_get_body_is_not_processed() -> None:
    def index(self: Any, **kw: str) -> str:
        return repr(kw)

    c = serve(handler(index))
    assert c.request("GET", "/", body="a=1", headers=FORM).text == "{}"


def test_methods_with_bodies_config() -> None:
    def index(self: Any, **kw: str) -> str:
        return repr(kw)

    c = serve(handler(index), {"/": {"request.methods_with_bodies": ("POST", "PUT", "DELETE")}})
    assert c.delete("/", body="a=1", headers=FORM).text == "{'a': '1'}"


# --- bus channels ---------------------------------------------------------------------


def test_before_and_after_request_channels() -> None:
    events: list[str] = []

    def before() -> None:
        events.append("before")

    def after() -> None:
        events.append("after")

    def index(self: Any) -> str:
        events.append("handler")
        return "ok"

    cherrypit.engine.subscribe("before_request", before)
    cherrypit.engine.subscribe("after_request", after)
    try:
        assert serve(handler(index)).get("/").text == "ok"
    finally:
        cherrypit.engine.unsubscribe("before_request", before)
        cherrypit.engine.unsubscribe("after_request", after)
    assert events == ["before", "handler", "after"]


def test_after_request_runs_after_a_failed_request() -> None:
    events: list[str] = []

    def after() -> None:
        events.append("after")

    def boom(self: Any) -> str:
        raise ValueError

    cherrypit.engine.subscribe("after_request", after)
    try:
        assert serve(handler(boom)).get("/").status == 500
    finally:
        cherrypit.engine.unsubscribe("after_request", after)
    assert events == ["after"]


# --- response headers -----------------------------------------------------------------


def test_default_response_headers() -> None:
    r = serve(handler(lambda self: "x")).get("/")
    assert r.headers["content-type"] == "text/html"
    assert r.headers["server"].startswith("cherrypit")
    assert "date" in r.headers


def test_response_headers_config() -> None:
    c = serve(handler(lambda self: "x"), {"/": {"response.headers.X-Frame-Options": "DENY"}})
    assert c.get("/").headers["x-frame-options"] == "DENY"


def test_header_values_with_newlines_are_cleaned() -> None:
    def index(self: Any) -> str:
        cherrypit.response.headers["X-Evil"] = "a\r\nInjected: 1"
        return "x"

    r = serve(handler(index)).get("/")
    assert "injected" not in r.headers
    assert "\n" not in r.headers["x-evil"]


# --- concurrency ----------------------------------------------------------------------


def test_concurrent_requests_keep_their_own_request_objects() -> None:
    barrier = threading.Barrier(2, timeout=10)

    def index(self: Any, who: str) -> str:
        cherrypit.request.hooks.attach(
            "before_finalize", lambda: cherrypit.response.headers.update({"X-Who": who})
        )
        barrier.wait()  # both requests are inside their handler at the same time
        return f"{who}:{cherrypit.request.params['who']}:{cherrypit.request.query_string}"

    cherrypit.tree.mount(handler(index))
    results: dict[str, tuple[str, str | None]] = {}

    def run(who: str) -> None:
        r = Client().get(f"/?who={who}")
        results[who] = (r.text, r.header("X-Who"))

    threads = [threading.Thread(target=run, args=(w,)) for w in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"a": ("a:a:who=a", "a"), "b": ("b:b:who=b", "b")}


class TrackedFile:
    """A file-like body that records whether it was closed."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    def close(self) -> None:
        self.closed = True


def test_file_body_is_closed_after_a_normal_streamed_response() -> None:
    files: list[TrackedFile] = []

    def index(self: Any) -> Any:
        files.append(TrackedFile(b"abc"))
        return files[-1]

    c = serve(handler(index), {"/": {"response.stream": True}})
    assert c.get("/").body == b"abc"
    assert files[0].closed


def test_file_body_is_closed_when_head_drops_a_streamed_body() -> None:
    files: list[TrackedFile] = []

    def index(self: Any) -> Any:
        files.append(TrackedFile(b"abc"))
        return files[-1]

    c = serve(handler(index), {"/": {"response.stream": True}})
    r = c.head("/")
    assert r.body == b""
    assert files[0].closed


def test_streamed_generator_failure_is_raised_to_the_server_and_request_closed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ended: list[bool] = []

    def index(self: Any) -> Any:
        cherrypit.request.hooks.attach("on_end_request", lambda: ended.append(True))

        def gen() -> Iterator[bytes]:
            yield b"partial"
            raise ValueError("stream broke")

        return gen()

    c = serve(handler(index), {"/": {"response.stream": True}})
    with pytest.raises(ValueError, match="stream broke"):
        c.get("/")
    assert ended == [True]
    assert "stream broke" in caplog.text


def test_header_values_are_iso_8859_1_for_the_wsgi_server() -> None:
    def index(self: Any) -> str:
        cherrypit.response.headers["X-Latin"] = "caf\u00e9"
        cherrypit.response.headers["X-Euro"] = "\u20ac100"
        cherrypit.response.headers["X-Int"] = 5  # type: ignore[assignment]
        return "x"

    r = serve(handler(index)).get("/")
    assert r.headers["x-latin"] == "caf\u00e9"
    assert r.headers["x-euro"] == "=?utf-8?b?4oKsMTAw?="  # RFC 2047, as CherryPy
    assert r.headers["x-int"] == "5"
    for _name, value in r.header_list:
        value.encode("iso-8859-1")


def test_uri_encoding_from_config_decodes_the_path(kernel: None) -> None:
    class Root:
        @cherrypit.expose
        def default(self, *args: str) -> str:
            return "|".join(args)

    cherrypit.tree.mount(Root(), "", {"/latin": {"request.uri_encoding": "iso-8859-1"}})
    c = Client()
    # %E9 is "é" in latin-1 and not valid UTF-8.
    assert c.get("/latin/caf%E9").text == "latin|café"
    assert c.get("/other/caf%C3%A9").text == "other|café"


def test_request_headers_from_the_environ_are_stripped_and_decoded(kernel: None) -> None:
    seen: dict[str, Any] = {}

    def index(self: Any) -> str:
        request = cherrypit.request
        seen["headers"] = dict(request.headers)
        seen["header_list"] = list(request.header_list)
        seen["cookie"] = request.cookie["a"].value
        return "ok"

    client = serve(handler(index))
    headers = {
        "X-Encoded": " =?utf-8?b?4oKsMTAw?= ",  # RFC 2047: "€100"
        "X-Latin": "caf\u00e9",  # PEP 3333: ISO-8859-1 text, kept as it came
        "X-Plain": "  spaced  ",
        "Cookie": "a=1; b=2",
    }
    answer = client.get("/", headers=headers)
    assert answer.body == b"ok", answer.text
    assert seen["headers"]["X-Encoded"] == "\u20ac100"
    assert seen["headers"]["X-Latin"] == "caf\u00e9"
    assert seen["headers"]["X-Plain"] == "spaced"
    assert seen["cookie"] == "1"
    # header_list keeps the values as the server sent them.
    assert ("X-Plain", "  spaced  ") in seen["header_list"]
    assert ("X-Encoded", " =?utf-8?b?4oKsMTAw?= ") in seen["header_list"]
