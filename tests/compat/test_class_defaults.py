"""Names CherryPy code reads on classes and modules, not only on instances.

Applications and extensions introspect class-level defaults (``HTTPError.code``,
``SimplePlugin.bus``), treat ``request.hooks`` as the ``dict`` it is in CherryPy,
switch start-up checks off by name, and call helpers with CherryPy's parameter
names and positions.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

import cherrypit
from cherrypit import _cpchecker, _cpdispatch, _cplogging, _cpreqbody, _cprequest, _cpwsgi
from cherrypit.lib import file_generator, headers, httputil
from cherrypit.process import plugins
from cherrypit.testing import LogRecords, capture_error_log, config_warnings, site_context


@pytest.fixture
def warnings_log() -> Iterator[LogRecords]:
    with site_context(), capture_error_log() as records:
        yield records


def on_class(cls: type, *names: str) -> list[object]:
    """The values of ``names`` read on the class itself."""
    return [getattr(cls, name) for name in names]


def test_errors_document_their_attributes_on_the_class() -> None:
    for cls in (cherrypit.HTTPError, cherrypit.NotFound):
        assert on_class(cls, "code", "reason", "status") == [None] * 3
    error = cherrypit.HTTPError("418 Short and Stout")
    assert (error.code, error.reason, error.status) == (
        418,
        "Short and Stout",
        "418 Short and Stout",
    )

    assert cherrypit.HTTPRedirect.urls is None
    # Read on the class, outside any request: the HTTP/1.1 default.
    assert cherrypit.HTTPRedirect.default_status == 303
    redirect = cherrypit.HTTPRedirect("/elsewhere", 301)
    assert redirect.status == redirect.code == 301
    assert [url.rsplit("/", 1)[1] for url in redirect.urls] == ["elsewhere"]


def test_hook_map_answers_the_dict_methods_and_copies_on_write() -> None:
    hooks = _cprequest.HookMap()
    assert set(hooks) == set(_cprequest.hookpoints) == set(hooks.keys())
    assert len(hooks) == len(_cprequest.hookpoints)
    assert hooks.get("no_such_point", None) is None
    assert list(hooks.get("no_such_point")) == []

    def noop() -> None:
        """A hook that does nothing."""

    hooks.attach("before_handler", noop)
    assert [h.callback for h in dict(hooks.items())["before_handler"]] == [noop]
    assert any(noop in [h.callback for h in v] for v in hooks.values())

    shared: dict[str, Any] = {"before_handler": (), "on_end_request": ()}
    per_request = _cprequest.HookMap(shared)
    per_request.update({"custom_point": []})
    per_request.setdefault("before_handler", [])
    assert per_request.pop("on_end_request") == []
    assert "custom_point" in per_request
    # The shared plan the request map was built from is untouched.
    assert shared == {"before_handler": (), "on_end_request": ()}
    per_request.clear()
    assert len(per_request) == 0

    fresh = _cprequest.HookMap.fromkeys(["on_start_resource"])
    assert list(fresh) == ["on_start_resource"]
    assert list(fresh["on_start_resource"]) == []


def test_entities_logs_bus_plugins_and_trees_have_class_defaults() -> None:
    for cls in (_cpreqbody.Entity, _cpreqbody.Part, _cpreqbody.RequestBody):
        assert on_class(cls, "fp", "headers", "params", "parts", "content_type") == [None] * 5
    assert _cpreqbody.Part.boundary is None
    assert _cpreqbody.inf == float("inf")

    names = ("appid", "logger_root", "error_log", "access_log")
    assert on_class(_cplogging.LogManager, *names) == [None] * 4

    for plugin in (plugins.SimplePlugin, plugins.Monitor, plugins.ThreadManager, plugins.PIDFile):
        assert plugin.bus is None
    assert plugins.Monitor.callback is None
    assert plugins.ThreadManager.threads is None
    assert plugins.SignalHandler.handlers == {}
    # Instances still get their own values.
    handler = plugins.SignalHandler(cherrypit.engine)
    assert handler.bus is cherrypit.engine
    assert "SIGTERM" in handler.handlers and plugins.SignalHandler.handlers == {}

    assert cherrypit.Tree.apps == {}
    assert cherrypit.tree.apps is not cherrypit.Tree.apps
    assert (_cpwsgi.VirtualHost.default, _cpwsgi.VirtualHost.domains) == (None, {})
    assert _cpwsgi.VirtualHost.use_x_forwarded_host is True


def test_header_helpers_cherrypy_code_imports() -> None:
    assert headers.parse_header('form-data; name="a;b"; Filename="x.txt"') == (
        "form-data",
        {"name": "a;b", "filename": "x.txt"},
    )
    assert httputil.RE_HEADER_SPLIT.split('a, "b,c", d') == ["a", ' "b,c"', " d"]
    assert httputil.q_separator.split("text/html; q=0.5") == ["text/html", "0.5"]
    assert httputil.image_map_pattern.match("12,34")
    assert (
        b"X\r\nY\x00".translate(
            httputil.header_translate_table, httputil.header_translate_deletechars
        )
        == b"XY"
    )
    assert httputil.CaseInsensitiveDict is httputil.HeaderMap
    header_map = httputil.HeaderMap({"content-type": "text/plain"})
    assert header_map.transform_key("content-TYPE") == "Content-Type"
    assert header_map.matching_key_for("CONTENT-type") == "Content-Type"
    with pytest.raises(KeyError):
        header_map.matching_key_for("Accept")
    assert httputil.SanitizedHost.dangerous.sub("", "a\r\nb") == "ab"


def test_dispatch_helpers() -> None:
    def handler(a: int, b: int = 2, *rest: int, **named: int) -> None:
        """Takes every kind of parameter."""

    assert _cpdispatch.getargspec(handler) == (["a", "b"], "rest", "named", (2,))
    assert "a-b.c".translate(_cpdispatch.punctuation_to_underscores) == "a_b_c"
    _cpdispatch.validate_translator(str.maketrans("-", "_"))
    with pytest.raises(ValueError, match="dict"):
        _cpdispatch.validate_translator("-" * 256)


def test_wsgi_error_handler_takes_the_level_first() -> None:
    handler = _cplogging.WSGIErrorHandler(logging.WARNING)
    assert handler.level == logging.WARNING
    stream = io.StringIO()
    with_environ = _cplogging.WSGIErrorHandler(
        logging.INFO, environ_getter=lambda: {"wsgi.errors": stream}
    )
    with_environ.emit(
        logging.LogRecord("x", logging.INFO, __file__, 1, "to the stream", None, None)
    )
    assert stream.getvalue() == "to the stream\n"


def test_file_generator_next_is_the_python_2_spelling() -> None:
    chunks = file_generator(io.BytesIO(b"abcdef"), chunkSize=4)
    assert chunks.next() == b"abcd"
    assert next(chunks) == b"ef"


class _Root:
    @cherrypit.expose
    def index(self) -> str:
        return "ok"


def test_checker_runs_each_check_and_one_is_switched_off_by_name(
    warnings_log: LogRecords,
) -> None:
    assert _cpchecker.Checker is type(cherrypit.checker)
    config = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": "relative"}}
    cherrypit.tree.mount(_Root(), "", config)
    cherrypit.checker()
    assert "tools.staticdir.dir 'relative' is relative" in warnings_log.text()

    warnings_log.records.clear()
    cherrypit.config.update({"checker.check_static_paths": None})
    cherrypit.checker()
    assert "relative" not in warnings_log.text()


def test_checker_warns_about_bracketed_section_names(warnings_log: LogRecords) -> None:
    cherrypit.tree.mount(_Root(), "", {"[/]": {"tools.gzip.on": True}})
    cherrypit.checker()
    assert "'[/]'" in warnings_log.text() and "without brackets ('/')" in warnings_log.text()


def test_checker_warns_about_obsolete_keys(warnings_log: LogRecords) -> None:
    cherrypit.config.update({"log_to_screen": False})
    cherrypit.tree.mount(_Root(), "", {"/": {"show_tracebacks": True}})
    cherrypit.checker()
    text = warnings_log.text()
    assert "[global] 'log_to_screen' is obsolete and has no effect; use 'log.screen'" in text
    assert (
        "[/] 'show_tracebacks' is obsolete and has no effect; use 'request.show_tracebacks'" in text
    )


def test_checker_warns_about_localhost(warnings_log: LogRecords) -> None:
    cherrypit.config.update({"server.socket_host": "localhost"})
    cherrypit.checker()
    assert "server.socket_host is 'localhost'" in warnings_log.text()
    warnings_log.records.clear()
    cherrypit.config.update({"server.socket_host": "127.0.0.1"})
    cherrypit.checker()
    assert "localhost" not in warnings_log.text()


def test_extra_config_namespaces_are_never_taken_for_misspellings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with site_context():
        # "tool" is one letter from "tools": kept, with a did-you-mean warning...
        cherrypit.config.update({"tool.colour": "red"})
        assert cherrypit.config["tool.colour"] == "red"
        assert any(w.startswith("tool.colour: unknown config namespace") for w in config_warnings())
        # ...unless the application declares it as a namespace of its own.
        monkeypatch.setattr(_cpchecker.Checker, "extra_config_namespaces", ["tool"])
        assert not any(w.startswith("tool.colour") for w in config_warnings())
