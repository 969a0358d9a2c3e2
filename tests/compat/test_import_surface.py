"""Names of CherryPy's import-time surface that code imports, subclasses or calls.

Written from patterns in public code: a config helper calls ``reprconf.unrepr(s=...)``
and builds ``reprconf.Parser(defaults=...)``; a WSGI deployment wraps an application
in ``_cpwsgi.CPWSGIApp`` itself; a session module imports ``MemcachedSession`` at the
top and only uses it when configured to; a logging setup reads ``LazyUUID4``.
"""

from __future__ import annotations

import io
import wsgiref.util
from collections.abc import Callable, Iterable
from typing import Any

import pytest

import cherrypit as cherrypy
from cherrypit import _cplogging, _cprequest, _cpwsgi
from cherrypit.lib import reprconf, sessions
from cherrypit.process import servers
from cherrypit.testing import Client


class Root:
    @cherrypy.expose
    def index(self) -> str:
        return "hello"


def _call(app: Callable[..., Iterable[bytes]]) -> tuple[str, bytes]:
    environ: dict[str, Any] = {}
    wsgiref.util.setup_testing_defaults(environ)
    seen: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        seen.append(status)

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return seen[0], data


def test_reprconf_helpers_take_cherrypys_keyword_names() -> None:
    assert reprconf.unrepr(s="{'a': [1, 2]}") == {"a": [1, 2]}
    assert reprconf.modules(modulePath="json").dumps([1]) == "[1]"
    assert isinstance(b"x", reprconf.text_or_bytes)


def test_the_parser_takes_configparsers_constructor_arguments() -> None:
    parser = reprconf.Parser(defaults={"port": "8080"})
    parser.read_file(io.StringIO("[server]\nhost = '0.0.0.0'\n"))
    assert parser.as_dict() == {"server": {"host": "0.0.0.0", "port": 8080}}
    assert reprconf.Parser.load(input={"a": {"b": 1}}) == {"a": {"b": 1}}


def test_a_cpwsgiapp_built_by_hand_serves_the_application(site_reset: None) -> None:
    app = cherrypy.tree.mount(Root(), "")

    def shout(nextapp: Callable[..., Iterable[bytes]]) -> Callable[..., Any]:
        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            return [b"".join(nextapp(environ, start_response)).upper()]

        return middleware

    wsgiapp = _cpwsgi.CPWSGIApp(app, pipeline=[("shout", shout)])
    assert _call(wsgiapp) == ("200 OK", b"HELLO")
    assert _cpwsgi.CPWSGIApp.response_class is _cpwsgi.AppResponse


def test_memcached_sessions_import_and_name_the_missing_module_when_used() -> None:
    memcached = sessions.MemcachedSession
    assert issubclass(memcached, sessions.Session)
    with pytest.raises(ImportError, match="'memcache'"):
        memcached()
    with pytest.raises(ImportError, match="'memcache'"):
        memcached.setup(servers=["127.0.0.1:11211"])


@pytest.mark.parametrize(
    "server", [servers.FlupCGIServer, servers.FlupFCGIServer, servers.FlupSCGIServer]
)
def test_flup_servers_import_and_say_flup_is_not_supported(server: type) -> None:
    with pytest.raises(ImportError, match="flup"):
        server(application=None, bindAddress=("127.0.0.1", 0))


def test_lazy_values_are_made_once_when_read() -> None:
    unique = _cprequest.LazyUUID4()
    assert str(unique) == unique.uuid4 == str(unique)
    assert len(unique.uuid4) == 36
    stamp = str(_cplogging.LazyRfc3339UtcTime())
    assert stamp.endswith("Z") and stamp[4] == "-" and "T" in stamp


def test_request_namespace_handlers_apply_to_the_current_request(site_reset: None) -> None:
    class Peek:
        @cherrypy.expose
        def index(self) -> str:
            _cprequest.request_namespace("set_by", "namespace")
            _cprequest.response_namespace("status", 202)
            return str(getattr(cherrypy.request, "set_by", None))

    cherrypy.tree.mount(Peek(), "")
    answer = Client().get("/")
    assert (answer.status, answer.text) == (202, "namespace")
