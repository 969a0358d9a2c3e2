"""What the error and access logs look like with the plugin: console and JSON."""

from __future__ import annotations

import datetime
import io
import json
import logging
import re
from typing import Any

import pytest
import structlog

import cherrypit
import cherrypit._cplogging
from cherrypit import ConfigError

CONSOLE_TIME = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\]"


def json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        value = json.loads(line)
        assert isinstance(value, dict), line
        out.append(value)
    return out


def test_console_error_line_is_cherrypy_like_with_request_fields(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True})
    request_id = client.get("/").text
    err = capsys.readouterr().err
    assert re.fullmatch(
        CONSOLE_TIME + rf" APP inside the handler request_id={request_id} method=GET "
        r"path=/ remote=127\.0\.0\.1\n",
        err,
    ), err


def test_console_access_line_is_exactly_access_log_format_by_default(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True})
    client.get("/", headers={"User-Agent": "probe/1", "Referer": "http://r/"})
    out = capsys.readouterr().out
    # What stock combined-log parsers read: nothing after the User-Agent.
    assert re.fullmatch(
        r'127\.0\.0\.1 - - \[[^]]+\] "GET / HTTP/1\.1" 200 36 "http://r/" "probe/1"\n', out
    ), out


def test_console_access_line_is_byte_for_byte_the_plain_line(mount, capsys):
    plain: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            plain.append(record.getMessage())

    keeper = Keep()
    logging.getLogger("cherrypy.access").addHandler(keeper)
    try:
        client = mount()
        cherrypit.config.update(
            {"log.screen": True, "log.access_log_format": '{h} {l} {u} {t} "{r}" {s} {b} {i}'}
        )
        client.get("/")
    finally:
        logging.getLogger("cherrypy.access").removeHandler(keeper)
    assert capsys.readouterr().out.splitlines() == plain


def test_access_fields_setting_adds_id_and_duration(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True, "log.access_fields": True})
    request_id = client.get("/", headers={"User-Agent": "probe/1", "Referer": "http://r/"}).text
    out = capsys.readouterr().out
    match = re.fullmatch(
        r'127\.0\.0\.1 - - \[[^]]+\] "GET / HTTP/1\.1" 200 36 "http://r/" "probe/1" '
        rf"request_id={request_id} duration_ms=(\d+\.?\d*)\n",
        out,
    )
    assert match, out
    assert float(match.group(1)) >= 0


def test_access_fields_must_be_a_bool(mount):
    mount()
    with pytest.raises(ConfigError, match=r"log\.access_fields must be True or False"):
        cherrypit.config.update({"log.access_fields": "yes"})


def test_request_fields_go_on_the_first_line_of_a_multi_line_message(mount, capsys):
    class Headers:
        @cherrypit.expose
        def index(self) -> str:
            cherrypit.log("Request Headers:\n  Accept: */*\n  Host: x", "HTTP")
            return str(cherrypit.request.unique_id)

    client = mount(Headers())
    cherrypit.config.update({"log.screen": True})
    request_id = client.get("/").text
    first, second, third = capsys.readouterr().err.splitlines()
    assert re.fullmatch(
        CONSOLE_TIME + rf" HTTP Request Headers: request_id={request_id} method=GET path=/ "
        r"remote=127\.0\.0\.1",
        first,
    ), first
    assert second == "  Accept: */*"
    assert third == "  Host: x"


def test_the_error_line_names_the_exception_before_the_traceback(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True})
    assert client.get("/boom").status == 500
    lines = capsys.readouterr().err.splitlines()
    assert re.fullmatch(
        CONSOLE_TIME + r" HTTP ValueError: it broke request_id=\S+ method=GET path=/boom "
        r"remote=127\.0\.0\.1",
        lines[0],
    ), lines
    assert lines[1] == "on two lines"
    assert lines[2] == "Traceback (most recent call last):"


def test_json_error_and_access_lines(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    request_id = client.get("/", headers={"User-Agent": "probe/1", "Referer": "http://r/"}).text
    captured = capsys.readouterr()

    [error] = json_lines(captured.err)
    assert list(error)[:5] == ["timestamp", "level", "logger", "event", "context"]
    stamp = datetime.datetime.fromisoformat(error["timestamp"])
    assert stamp.utcoffset() == datetime.timedelta(0)
    assert abs((datetime.datetime.now(datetime.UTC) - stamp).total_seconds()) < 3600
    assert error["level"] == "info"
    assert re.fullmatch(r"cherrypy\.error\.\d+", error["logger"])
    assert error["event"] == "inside the handler"
    assert error["context"] == "APP"
    assert error["request_id"] == request_id
    assert (error["method"], error["path"], error["remote"]) == ("GET", "/", "127.0.0.1")

    [access] = json_lines(captured.out)
    assert re.fullmatch(r"cherrypy\.access\.\d+", access["logger"])
    assert access["request_id"] == request_id
    assert (access["method"], access["path"], access["remote"]) == ("GET", "/", "127.0.0.1")
    assert access["status"] == 200
    assert access["bytes"] == len(request_id)
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    assert access["user_agent"] == "probe/1"
    assert access["referer"] == "http://r/"
    assert '"GET / HTTP/1.1" 200' in access["event"]


def test_json_is_one_object_per_line_even_for_tracebacks(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    assert client.get("/boom").status == 500
    captured = capsys.readouterr()
    errors = json_lines(captured.err)
    failed = [e for e in errors if "exception" in e]
    assert len(failed) == 1
    assert failed[0]["level"] == "error"
    assert failed[0]["path"] == "/boom"
    assert "ValueError: it broke\non two lines" in failed[0]["exception"]
    [access] = json_lines(captured.out)
    assert access["status"] == 500
    assert {e["request_id"] for e in errors} == {access["request_id"]}


def test_each_line_is_written_once(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True})
    client.get("/")
    client.get("/")
    captured = capsys.readouterr()
    assert captured.err.count("inside the handler") == 2
    assert len(captured.err.splitlines()) == 2
    assert len(captured.out.splitlines()) == 2
    ids = re.findall(r"request_id=(\S+)", captured.err)
    assert len(set(ids)) == 2


def test_app_format_applies_to_that_app_only(mount, capsys):
    mount(script_name="/a", config={"/": {"log.format": "json"}})
    client = mount(script_name="/b")
    cherrypit.config.update({"log.screen": True})
    id_a = client.get("/a/").text
    id_b = client.get("/b/").text
    captured = capsys.readouterr()
    err_a, err_b = captured.err.splitlines()
    assert json.loads(err_a)["request_id"] == id_a
    assert err_b.endswith(
        f"APP inside the handler request_id={id_b} method=GET path=/b/ remote=127.0.0.1"
    )
    out_a, out_b = captured.out.splitlines()
    assert json.loads(out_a)["path"] == "/a/"
    assert out_b.startswith("127.0.0.1 - - [")
    # The site's own lines keep the site's format.
    cherrypit.log("site line", "TEST")
    assert re.fullmatch(CONSOLE_TIME + r" TEST site line\n", capsys.readouterr().err)


def test_stdlib_calls_on_the_cherrypy_loggers_are_formatted(mount, capsys):
    mount()
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    cherrypit.log.error_log.info("x %s", "y")
    cherrypit.log.error_log.warning("careful")
    first, second = json_lines(capsys.readouterr().err)
    assert (first["event"], first["level"], first["logger"]) == ("x y", "info", "cherrypy.error")
    assert "request_id" not in first and "context" not in first
    assert (second["event"], second["level"]) == ("careful", "warning")

    cherrypit.config.update({"log.format": "console"})
    cherrypit.log.error_log.info("plain")
    assert re.fullmatch(CONSOLE_TIME + r" plain\n", capsys.readouterr().err)


def test_handlers_made_before_and_after_loading_get_the_formatter(mount, tmp_path):
    cherrypit.config.update({"log.screen": True})
    [screen] = [
        h for h in cherrypit.log.error_log.handlers if getattr(h, "_cpbuiltin", "") == "screen"
    ]
    assert screen.formatter is cherrypit._cplogging.logfmt  # no plugin loaded yet
    client = mount()  # the first application loads the plugins (not its first request)
    assert isinstance(screen.formatter, structlog.stdlib.ProcessorFormatter)
    client.get("/")
    cherrypit.config.update({"log.error_file": str(tmp_path / "e.log")})
    handlers = [h for h in cherrypit.log.error_log.handlers if hasattr(h, "_cpbuiltin")]
    assert sorted(h._cpbuiltin for h in handlers) == ["fallback", "file", "screen"]
    assert all(isinstance(h.formatter, structlog.stdlib.ProcessorFormatter) for h in handlers)


class Binder:
    @cherrypit.expose
    def index(self) -> str:
        structlog.contextvars.bind_contextvars(user="ann")
        cherrypit.log("bound", "APP")
        return "ok"


def test_values_bound_in_a_request_are_merged_and_then_cleared(mount, capsys):
    client = mount(Binder())
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    client.get("/")
    cherrypit.log("after", "TEST")
    inside, after = json_lines(capsys.readouterr().err)
    assert inside["user"] == "ann"
    assert "user" not in after and "request_id" not in after


def test_log_format_rejects_unknown_values(mount):
    mount()
    with pytest.raises(ConfigError, match="console, json"):
        cherrypit.config.update({"log.format": "xml"})
    with pytest.raises(ConfigError):
        mount(script_name="/x", config={"/": {"log.format": 3}})


def test_wsgi_errors_stream_is_formatted_too(mount):
    mount()
    cherrypit.config.update({"log.format": "json"})
    seen: list[str] = []

    class Stream:
        def write(self, text: str) -> None:
            seen.append(text)

        def flush(self) -> None:
            pass

    app = cherrypit.tree.apps[""]
    app.log.wsgi = True
    status: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.9",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": Stream(),
    }
    body = cherrypit.tree(environ, lambda s, h, e=None: status.append(s))
    b"".join(body)
    close = getattr(body, "close", None)  # a WSGI server closes the body if it can
    if close is not None:
        close()
    assert status == ["200 OK"]
    [line] = json_lines("".join(seen))
    assert line["event"] == "inside the handler" and line["remote"] == "192.0.2.9"


def test_levels_are_rendered_lower_case(mount, capsys):
    mount()
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    cherrypit.log("bad", "TEST", logging.ERROR)
    [line] = json_lines(capsys.readouterr().err)
    assert line["level"] == "error"


def test_client_text_cannot_split_or_forge_lines(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    assert client.get("/caf%C3%A9%0A%7B%22forged%22%3A1%7D").status == 404
    [access] = json_lines(capsys.readouterr().out)
    assert access["path"] == '/café\n{"forged":1}'
    assert access["status"] == 404

    cherrypit.config.update({"log.format": "console"})
    client.get("/a b%0Ac")
    [line] = capsys.readouterr().out.splitlines()
    assert '"GET /a b\\nc HTTP/1.1" 404' in line
