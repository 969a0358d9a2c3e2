"""``request.throw_errors``: the exception leaves the request cycle, not the application.

As in CherryPy, whose every application pipeline starts with an ``ExceptionTrapper``:
the application's WSGI middleware sees the exception, and the client still gets a 500
(with the traceback when the request shows tracebacks).  The in-process test client
asks for the exception itself.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

import cherrypit as cherrypy
from cherrypit.testing import Client


class Root:
    @cherrypy.expose
    def rethrow(self) -> str:
        raise ValueError("thrown on purpose")


def _fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_thrown_error_is_answered_with_its_traceback_over_http(live_server: str) -> None:
    conf = {"request.throw_errors": True, "request.show_tracebacks": True}
    cherrypy.tree.mount(Root(), "", {"/": conf})
    status, body = _fetch(live_server + "/rethrow")
    assert status == 500
    assert 'raise ValueError("thrown on purpose")' in body


def test_a_thrown_error_hides_the_traceback_unless_shown(live_server: str) -> None:
    conf = {"request.throw_errors": True, "request.show_tracebacks": False}
    cherrypy.tree.mount(Root(), "", {"/": conf})
    status, body = _fetch(live_server + "/rethrow")
    assert (status, body) == (500, "Unrecoverable error in the server.")


def test_the_apps_middleware_sees_the_thrown_error(site_reset: None) -> None:
    seen: list[BaseException] = []

    def watch(app: Callable[..., Any]) -> Callable[..., Any]:
        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            try:
                return app(environ, start_response)
            except Exception as exc:
                seen.append(exc)
                raise

        return middleware

    app = cherrypy.tree.mount(Root(), "", {"/": {"request.throw_errors": True}})
    app.wsgiapp.pipeline.append(("watch", watch))
    # A plain WSGI caller (not the test client) gets the application's answer.
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/rethrow",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    statuses: list[str] = []
    body = cherrypy.tree(environ, lambda status, headers, exc_info=None: statuses.append(status))
    assert statuses == ["500 Internal Server Error"]
    assert b"".join(body)
    assert [type(e) for e in seen] == [ValueError]
    # The test client asks for the exception itself.
    with pytest.raises(ValueError, match="thrown on purpose"):
        Client().get("/rethrow")
