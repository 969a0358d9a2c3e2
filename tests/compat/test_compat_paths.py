"""CherryPy's import paths (research §2) resolve, and CherryPy-style snippets run unchanged.

Apps are written the CherryPy way (``import cherrypit as cherrypy``) and served
in-process through :class:`cherrypit.testing.Client`.
"""

from __future__ import annotations

import datetime
import importlib
import io
import json
from typing import Any

import pytest

import cherrypit as cherrypy
from cherrypit import _cpcompat, _cpconfig, _cperror, _cptools, _cpwsgi
from cherrypit._kernel import errors as kernel_errors
from cherrypit.lib import _helpers, locking, reprconf
from cherrypit.testing import Client

# (module, names) for every path of research §2 that the kernel itself provides,
# in order of popularity.
KERNEL_PATHS: list[tuple[str, tuple[str, ...]]] = [
    (
        "cherrypit",
        (
            "expose",
            "request",
            "response",
            "engine",
            "config",
            "tree",
            "tools",
            "HTTPRedirect",
            "HTTPError",
            "NotFound",
            "log",
            "session",
            "url",
            "quickstart",
            "serving",
            "Application",
            "Tool",
            "InternalRedirect",
            "popargs",
            "thread_data",
            "__version__",
        ),
    ),
    (
        "cherrypit.process.plugins",
        (
            "Monitor",
            "BackgroundTask",
            "Daemonizer",
            "PIDFile",
            "SimplePlugin",
            "SignalHandler",
        ),
    ),
    (
        "cherrypit._cperror",
        (
            "HTTPError",
            "HTTPRedirect",
            "NotFound",
            "InternalRedirect",
            "CherryPyException",
            "TimeoutError",
            "format_exc",
            "bare_error",
            "clean_headers",
            "get_error_page",
        ),
    ),
    ("cherrypit.dispatch", ("MethodDispatcher", "RoutesDispatcher", "Dispatcher")),
    ("cherrypit._cpdispatch", ("MethodDispatcher", "RoutesDispatcher", "Dispatcher")),
    ("cherrypit._cpreqbody", ("Part",)),
    ("cherrypit._cpserver", ("Server", "ServerAdapter")),
    ("cherrypit.lib.httputil", ("parse_query_string", "get_ranges", "Host", "HeaderMap")),
    ("cherrypit._cplogging", ("logfmt", "LogManager")),
    ("cherrypit.process.servers", ("ServerAdapter", "wait_for_occupied_port")),
    ("cherrypit._cptree", ("Tree", "Application")),
    (
        "cherrypit._cptools",
        (
            "Toolbox",
            "Tool",
            "HandlerTool",
            "HandlerWrapperTool",
            "ErrorTool",
            "default_toolbox",
        ),
    ),
    ("cherrypit.lib.reprconf", ("Parser", "unrepr", "as_dict", "modules", "attributes")),
    ("cherrypit.test.helper", ("CPWebCase",)),
    ("cherrypit._cpcompat", ("json_encode", "json_decode", "ntob", "ntou", "tonative")),
    ("cherrypit.lib.locking", ("LockChecker", "LockTimeout", "Timer", "NeverExpires")),
    ("cherrypit._cprequest", ("Request", "Response", "Hook", "HookMap", "ResponseBody")),
    ("cherrypit._cpconfig", ("Config", "environments", "merge")),
    ("cherrypit._cpwsgi", ("VirtualHost", "InternalRedirector", "ExceptionTrapper")),
    ("cherrypit._helper", ("expose", "popargs", "url")),
    (
        "cherrypit.lib._helpers",
        (
            "file_generator",
            "file_generator_limited",
            "is_iterator",
            "is_closable_iterator",
            "set_vary_header",
        ),
    ),
]

# Paths backed by plugins that may not be installed in this environment.
PLUGIN_PATHS: list[tuple[str, tuple[str, ...]]] = [
    ("cherrypit.lib.static", ("serve_file", "serve_fileobj", "serve_download")),
    ("cherrypit.lib.sessions", ("expire", "Session", "FileSession")),
    ("cherrypit.lib.auth_basic", ("checkpassword_dict",)),
    ("cherrypit.lib.cptools", ("accept", "proxy")),
    ("cherrypit.lib.caching", ("expires",)),
    ("cherrypit.lib.auth_digest", ("get_ha1_dict_plain", "digest_auth")),
    ("cherrypit.lib.jsontools", ("json_in", "json_out")),
]


@pytest.mark.parametrize(("module", "names"), KERNEL_PATHS, ids=[m for m, _ in KERNEL_PATHS])
def test_kernel_compat_path_resolves(module: str, names: tuple[str, ...]) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in names if not hasattr(mod, name)]
    assert missing == []


@pytest.mark.parametrize(("module", "names"), PLUGIN_PATHS, ids=[m for m, _ in PLUGIN_PATHS])
def test_plugin_compat_path_resolves_when_available(module: str, names: tuple[str, ...]) -> None:
    mod = pytest.importorskip(module, reason=f"{module} is provided by a plugin not present")
    missing = []
    for name in names:
        try:
            getattr(mod, name)
        except AttributeError:
            missing.append(name)
    if missing and len(missing) == len(names):
        pytest.skip(f"the plugin behind {module} is not installed")
    assert missing == []


def test_compat_modules_reexport_the_kernel_objects() -> None:
    assert _cperror.HTTPError is cherrypy.HTTPError is kernel_errors.HTTPError
    assert _cptools.Toolbox is cherrypy.Toolbox
    assert _cptools.default_toolbox is cherrypy.tools
    assert importlib.import_module("cherrypit._cptree").Tree is cherrypy.Tree
    assert importlib.import_module("cherrypit._helper").expose is cherrypy.expose
    assert _cpconfig.Config is type(cherrypy.config)
    assert importlib.import_module("cherrypit._cprequest").hookpoints[0] == "on_start_resource"


def test_plugin_backed_tool_class_missing_names_say_so(site_reset: None) -> None:
    with pytest.raises(AttributeError, match="no enabled plugin provides it"):
        _cptools.NoSuchToolClass  # noqa: B018


# --- CherryPy-style snippets ------------------------------------------------------------


def test_hello_world_tutorial(client: Client) -> None:
    class HelloWorld:
        @cherrypy.expose
        def index(self) -> str:
            return "Hello world!"

    cherrypy.tree.mount(HelloWorld())
    response = client.get("/")
    assert response.status == 200
    assert response.text == "Hello world!"


def test_errors_raised_through_cperror_path(client: Client) -> None:
    class Root:
        @cherrypy.expose
        def gone(self) -> str:
            raise _cperror.HTTPError(410, "It left.")

        @cherrypy.expose
        def moved(self) -> str:
            raise _cperror.HTTPRedirect("/new", 301)

        @cherrypy.expose
        def missing(self) -> str:
            raise _cperror.NotFound()

    cherrypy.tree.mount(Root())
    gone = client.get("/gone")
    assert gone.status == 410
    assert "It left." in gone.text
    moved = client.get("/moved")
    assert moved.status == 301
    assert moved.header("Location") == "http://127.0.0.1:8080/new"
    assert client.get("/missing").status == 404


def test_format_exc_and_bare_error() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        text = _cperror.format_exc()
    assert "ValueError: boom" in text
    status, headers, body = _cperror.bare_error("extra")
    assert status.startswith("500")
    assert dict(headers)["Content-Length"] == str(len(body[0]))
    assert body[0].endswith(b"\nextra")


def test_tool_from_cptools_path_runs_on_a_handler(client: Client) -> None:
    def stamp(value: str = "x") -> None:
        cherrypy.response.headers["X-Stamp"] = value

    cherrypy.tools.stamp = _cptools.Tool("before_finalize", stamp)

    class Root:
        @cherrypy.expose
        @cherrypy.tools.stamp(value="yes")
        def index(self) -> str:
            return "ok"

    cherrypy.tree.mount(Root())
    assert client.get("/").header("X-Stamp") == "yes"


def test_application_from_cptree_with_merged_config(client: Client, tmp_path: Any) -> None:
    conf = tmp_path / "app.conf"
    conf.write_text('[/]\nmyapp.greeting = "hi from file"\n')

    class Root:
        @cherrypy.expose
        def index(self) -> str:
            return str(cherrypy.request.config["myapp.greeting"])

    app = importlib.import_module("cherrypit._cptree").Application(Root(), "/app")
    base: dict[str, Any] = app.config
    _cpconfig.merge(base, str(conf))
    _cpconfig.merge(base, {"/sub": {"myapp.other": 1}})
    cherrypy.tree.mount(app)
    assert client.get("/app/").text == "hi from file"
    assert base["/sub"] == {"myapp.other": 1}


def test_merge_refuses_config_without_sections() -> None:
    with pytest.raises(ValueError, match="section headers"):
        _cpconfig.merge({}, {"tools.gzip.on": True})


def test_reprconf_parser_reads_python_values(tmp_path: Any) -> None:
    conf = tmp_path / "site.conf"
    conf.write_text(
        "[global]\nserver.socket_port = 8080\nitems = [1, 2] + [3]\n"
        "[/static]\ntools.staticdir.on = True\nroot = %(here)s\nhere = '/srv'\n"
    )
    data = reprconf.Parser().dict_from_file(str(conf))
    assert data["global"] == {"server.socket_port": 8080, "items": [1, 2, 3]}
    assert data["/static"]["tools.staticdir.on"] is True
    assert data["/static"]["root"] == "/srv"
    with conf.open() as handle:
        assert reprconf.Parser().dict_from_file(handle) == data
    assert reprconf.Parser.load({"a": {"b": 1}}) == {"a": {"b": 1}}
    assert reprconf.unrepr("{'a': (1, 2)}") == {"a": (1, 2)}
    assert reprconf.attributes("json.dumps") is json.dumps
    assert reprconf.modules("json") is json


def test_reprconf_parser_names_the_bad_value(tmp_path: Any) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text("[/]\nok = 1\nbroken = (1,\n")
    with pytest.raises(cherrypy.ConfigError, match=r"\[/\] broken"):
        reprconf.Parser().dict_from_file(str(conf))
    with pytest.raises(cherrypy.ConfigError, match="not found"):
        reprconf.Parser().dict_from_file(str(tmp_path / "absent.conf"))


def test_cpcompat_helpers() -> None:
    assert _cpcompat.ntob("caf\xe9") == b"caf\xe9"
    assert _cpcompat.ntob("é", "utf-8") == b"\xc3\xa9"
    assert _cpcompat.ntou("x") == "x"
    assert _cpcompat.tonative(b"caf\xe9") == "caf\xe9"
    assert _cpcompat.tonative("x") == "x"
    with pytest.raises(TypeError):
        _cpcompat.ntob(b"bytes")  # type: ignore[arg-type]
    chunks = list(_cpcompat.json_encode({"a": [1, "é"]}))
    assert all(isinstance(c, bytes) for c in chunks)
    assert json.loads(b"".join(chunks)) == {"a": [1, "é"]}
    assert _cpcompat.json_decode('{"x": 1}') == {"x": 1}


def test_json_encode_streams_as_a_response_body(client: Client) -> None:
    class Root:
        @cherrypy.expose
        def data(self) -> Any:
            cherrypy.response.headers["Content-Type"] = "application/json"
            return _cpcompat.json_encode({"ok": True})

    cherrypy.tree.mount(Root())
    assert client.get("/data").json() == {"ok": True}


def test_lock_checker_times_out_and_never_expires_without_timeout() -> None:
    assert locking.LockChecker("sid", None).expired() is False
    assert locking.LockChecker("sid", 3600).expired() is False
    late = locking.LockChecker("sid", datetime.timedelta(seconds=-1))
    with pytest.raises(locking.LockTimeout, match="sid"):
        late.expired()
    assert locking.Timer.after(datetime.timedelta(hours=1)).expired() is False
    assert locking.NeverExpires().expired() is False


# --- lib helpers --------------------------------------------------------------------------


class _ClosingReader(io.BytesIO):
    closed_by_us = False

    def close(self) -> None:
        self.closed_by_us = True
        super().close()


def test_file_generator_chunks_and_closes() -> None:
    source = _ClosingReader(b"abcdefg")
    gen = _helpers.file_generator(source, 3)
    assert list(gen) == [b"abc", b"def", b"g"]
    assert source.closed_by_us


def test_file_generator_limited_stops_at_count() -> None:
    source = io.BytesIO(b"0123456789")
    source.seek(2)
    assert list(_helpers.file_generator_limited(source, 5, chunk_size=2)) == [
        b"23",
        b"45",
        b"6",
    ]
    assert list(_helpers.file_generator_limited(io.BytesIO(b"ab"), 10)) == [b"ab"]


def test_iterator_checks() -> None:
    def gen() -> Any:
        yield 1

    class NoArgClose:
        def __iter__(self) -> Any:
            return self

        def __next__(self) -> int:
            raise StopIteration

        def close(self) -> None:
            pass

    class ArgClose(NoArgClose):
        def close(self, how: str) -> None:  # type: ignore[override]
            pass

    assert _helpers.is_iterator(gen())
    assert _helpers.is_iterator(iter([1]))
    assert not _helpers.is_iterator([1])
    assert not _helpers.is_iterator("text")
    assert _helpers.is_closable_iterator(gen())
    assert _helpers.is_closable_iterator(NoArgClose())
    assert not _helpers.is_closable_iterator(ArgClose())
    assert not _helpers.is_closable_iterator(iter([1]))


def test_set_vary_header_adds_once() -> None:
    class Resp:
        headers: dict[str, str] = {}

    resp = Resp()
    resp.headers = {"Vary": "Accept"}
    _helpers.set_vary_header(resp, "Accept-Encoding")
    _helpers.set_vary_header(resp, "Accept-Encoding")
    assert resp.headers["Vary"] == "Accept, Accept-Encoding"
    empty = Resp()
    empty.headers = {}
    _helpers.set_vary_header(empty, "Cookie")
    assert empty.headers["Vary"] == "Cookie"


# --- _cpwsgi --------------------------------------------------------------------------------


def _text_app(text: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode()]

    return app


def test_wsgi_virtual_host_trusts_forwarded_host_only_from_trusted_proxies() -> None:
    vhost = _cpwsgi.VirtualHost(
        _text_app("default"),
        {"blog.example": _text_app("blog"), "shop.example": _text_app("shop")},
        trusted_proxies=["10.0.0.1"],
    )
    assert Client(vhost, host="blog.example").get("/").text == "blog"
    assert Client(vhost, host="other.example").get("/").text == "default"
    forwarded = {"X-Forwarded-Host": "shop.example, blog.example"}
    spoofed = Client(vhost, host="blog.example", remote_addr="192.0.2.9")
    assert spoofed.get("/", headers=forwarded).text == "blog"
    proxied = Client(vhost, host="blog.example", remote_addr="10.0.0.1")
    assert proxied.get("/", headers=forwarded).text == "shop"
    ignoring = _cpwsgi.VirtualHost(
        _text_app("default"),
        {"shop.example": _text_app("shop")},
        use_x_forwarded_host=False,
        trusted_proxies=["10.0.0.1"],
    )
    assert Client(ignoring, remote_addr="10.0.0.1").get("/", headers=forwarded).text == "default"


def test_wsgi_vhost_in_front_of_cherrypy_apps(site_reset: None) -> None:
    class Blog:
        @cherrypy.expose
        def index(self) -> str:
            return "blog index"

    blog = cherrypy.Application(Blog())
    vhost = _cpwsgi.VirtualHost(_text_app("fallback"), {"blog.example": blog})
    assert Client(vhost, host="blog.example").get("/").text == "blog index"


def test_pipeline_members_pass_through_and_trap(site_reset: None) -> None:
    passthrough = _cpwsgi.InternalRedirector(_text_app("inner"))
    assert Client(passthrough).get("/").text == "inner"

    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("broken app")

    cherrypy.log.screen = False
    trapped = Client(_cpwsgi.ExceptionTrapper(broken)).get("/")
    assert trapped.status == 500
    assert trapped.body.startswith(b"Unrecoverable error")
    assert Client(_cpwsgi.ExceptionTrapper(_text_app("fine"))).get("/").text == "fine"

    def interrupted(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Client(_cpwsgi.ExceptionTrapper(interrupted)).get("/")
