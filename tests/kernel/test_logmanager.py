"""cherrypit._kernel.logmanager: CherryPy's error/access logs on stdlib logging."""

from __future__ import annotations

import datetime
import io
import itertools
import logging
import re
from types import SimpleNamespace

import pytest

import cherrypit._cplogging as compat
from cherrypit._kernel import logmanager
from cherrypit._kernel.httputil import HeaderMap, Host
from cherrypit._kernel.logmanager import LogManager

_ids = itertools.count()


@pytest.fixture
def make_log():
    """Build LogManagers on fresh logger names; close and drop their handlers afterwards."""
    made: list[LogManager] = []

    def make(**kwargs):
        kwargs.setdefault("appid", f"test{next(_ids)}")
        log = LogManager(**kwargs)
        made.append(log)
        return log

    yield make
    for log in made:
        for logger in (log.error_log, log.access_log):
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
                handler.close()


def _request(**overrides):
    values = {
        "remote": Host("192.0.2.7", 51000),
        "login": None,
        "request_line": "GET /page?x=1 HTTP/1.1",
        "headers": HeaderMap(
            {
                "Referer": "http://example.com/",
                "User-Agent": "tester/1.0",
                "Host": "example.com",
            }
        ),
        "unique_id": "req-42",
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def _response(status="200 OK", length="1234"):
    headers = HeaderMap()
    if length is not None:
        headers["Content-Length"] = length
    return SimpleNamespace(status=status, headers=headers)


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


TIME = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\]"
APACHE_TIME = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]"


def test_logger_names_levels_and_propagation(make_log):
    site = make_log(appid=None)
    assert site.error_log.name == "cherrypy.error"
    assert site.access_log.name == "cherrypy.access"
    app = make_log(appid="1234", logger_root="myroot")
    assert app.error_log.name == "myroot.error.1234"
    assert app.access_log.name == "myroot.access.1234"
    assert (app.appid, app.logger_root) == ("1234", "myroot")
    for logger in (site.error_log, site.access_log, app.error_log, app.access_log):
        assert logger.level == logging.INFO
    # Site-wide loggers stop at "cherrypy.*"; an application's feed the site-wide ones.
    assert site.error_log.propagate is False and site.access_log.propagate is False
    assert app.error_log.propagate is True and app.access_log.propagate is True
    # A second manager on the same loggers does not stack NullHandlers.
    again = make_log(appid="1234", logger_root="myroot")
    assert again.error_log is app.error_log
    nulls = [h for h in app.error_log.handlers if isinstance(h, logging.NullHandler)]
    assert len(nulls) == 1


def test_time_format(make_log):
    assert re.fullmatch(TIME, make_log().time())


def test_error_writes_time_context_and_message_to_file(make_log, tmp_path):
    log = make_log()
    log.error_file = str(tmp_path / "error.log")
    log.error("engine started", "ENGINE")
    log("called directly", context="HTTP", severity=logging.WARNING)
    log("too quiet", severity=logging.DEBUG)
    lines = _lines(tmp_path / "error.log")
    assert len(lines) == 2
    assert re.fullmatch(TIME + " ENGINE engine started", lines[0])
    assert re.fullmatch(TIME + " HTTP called directly", lines[1])


def test_error_traceback_appends_the_current_exception(make_log, tmp_path):
    log = make_log()
    log.error_file = str(tmp_path / "error.log")
    try:
        raise ValueError("boom")
    except ValueError:
        log("handler failed", "HTTP", severity=logging.ERROR, traceback=True)
    log("no exception here", traceback=True)
    text = (tmp_path / "error.log").read_text(encoding="utf-8")
    assert "HTTP handler failed\nTraceback (most recent call last):" in text
    assert "ValueError: boom" in text
    assert text.rstrip().endswith("no exception here")
    assert "NoneType" not in text


def test_file_properties_add_replace_and_remove_handlers(make_log, tmp_path):
    log = make_log()
    assert log.error_file == ""
    assert log.access_file == ""
    first = tmp_path / "a.log"
    log.error_file = str(first)
    log.error_file = str(first)
    assert log.error_file == str(first)
    file_handlers = [h for h in log.error_log.handlers if isinstance(h, logging.FileHandler)]
    assert len(file_handlers) == 1
    log.error_file = str(tmp_path / "b.log")
    log("to b")
    assert log.error_file == str(tmp_path / "b.log")
    assert file_handlers[0].stream is None  # the replaced handler was closed
    log.error_file = ""
    log("nowhere")
    assert log.error_file == ""
    assert _lines(tmp_path / "b.log")[-1].endswith("to b")
    assert first.read_text(encoding="utf-8") == ""


def test_reopen_files_after_rotation_starts_a_new_file(make_log, tmp_path):
    log = make_log()
    current = tmp_path / "access.log"
    rotated = tmp_path / "access.log.1"
    log.access_file = str(current)
    log.error_file = str(tmp_path / "error.log")
    request, response = _request(), _response()
    log.access(request, response)
    current.rename(rotated)
    log.access(request, response)  # still the old (renamed) file until reopened
    log.reopen_files()
    log.access(request, _response(status="404 Not Found", length=None))
    log("after rotation")
    assert len(_lines(rotated)) == 2
    new_lines = _lines(current)
    assert len(new_lines) == 1
    assert ' 404 - "' in new_lines[0]
    assert _lines(tmp_path / "error.log")[-1].endswith("after rotation")


def test_screen_toggles_console_handlers(make_log, capsys):
    log = make_log()
    assert log.screen is False
    log.screen = True
    log.screen = True
    assert log.screen is True
    assert sum(getattr(h, "_cpbuiltin", None) == "screen" for h in log.error_log.handlers) == 1
    log("to the console", "TEST")
    log.access(_request(), _response())
    captured = capsys.readouterr()
    assert re.fullmatch(TIME + " TEST to the console\n", captured.err)
    assert '"GET /page?x=1 HTTP/1.1" 200 1234' in captured.out
    log.screen = False
    assert log.screen is False
    log("silent", severity=logging.WARNING)  # errors would still reach the site's fallback
    log.access(_request(), _response())
    assert capsys.readouterr() == ("", "")


def test_access_line_in_combined_format(make_log, tmp_path):
    log = make_log()
    log.access_file = str(tmp_path / "access.log")
    log.access(_request(login="alice"), _response())
    (line,) = _lines(tmp_path / "access.log")
    assert re.fullmatch(
        r"192\.0\.2\.7 - alice "
        + APACHE_TIME
        + r' "GET /page\?x=1 HTTP/1\.1" 200 1234 "http://example\.com/" "tester/1\.0"',
        line,
    ), line


def test_access_extra_fields_and_missing_values(make_log, tmp_path):
    log = make_log()
    log.access_log_format = "{h}|{l}|{u}|{s}|{b}|{f}|{a}|{o}|{i}|{z}"
    log.access_file = str(tmp_path / "access.log")
    request = _request(
        remote=Host("192.0.2.7", 1, "client.example"), headers=HeaderMap(), unique_id=None
    )
    log.access(request, SimpleNamespace(status=None, headers=HeaderMap()))
    (line,) = _lines(tmp_path / "access.log")
    fields = line.split("|")
    assert fields[:9] == ["client.example", "-", "-", "-", "-", "", "", "-", "-"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", fields[9])


def test_access_z_is_the_compat_lazy_time_when_code_replaces_it(make_log, tmp_path, monkeypatch):
    # CherryPy code fixes {z} by replacing cherrypy._cplogging.LazyRfc3339UtcTime.
    monkeypatch.setattr(compat, "LazyRfc3339UtcTime", lambda: "2001-02-03T04:05:06Z")
    log = make_log()
    log.access_log_format = "{z}"
    log.access_file = str(tmp_path / "access.log")
    log.access(_request(), _response())
    assert _lines(tmp_path / "access.log") == ["2001-02-03T04:05:06Z"]


def test_lazy_utc_time_reads_datetime_now_at_call_time(monkeypatch):
    fixed = datetime.datetime(2019, 12, 31, 17, 23, 45)

    class FrozenClock:
        @classmethod
        def now(cls, tz):
            return fixed

    # Undone inside the test: the fixtures' teardown formats dates with the real one.
    with monkeypatch.context() as patch:
        patch.setattr("datetime.datetime", FrozenClock)
        text = str(compat.LazyRfc3339UtcTime())
    assert text == "2019-12-31T17:23:45Z"


def test_access_escapes_control_and_non_ascii_characters(make_log, tmp_path):
    log = make_log()
    log.access_file = str(tmp_path / "access.log")
    request = _request(
        request_line='GET /a"b\\c\r\nFAKE 200\x00\x1b HTTP/1.1',
        headers=HeaderMap({"User-Agent": "caf\xe9\t\x7f", "Referer": 'x" "y'}),
    )
    log.access(request, _response())
    (line,) = _lines(tmp_path / "access.log")
    assert '"GET /a\\"b\\\\c\\r\\nFAKE 200\\x00\\x1b HTTP/1.1"' in line
    assert line.endswith('"x\\" \\"y" "caf\\xc3\\xa9\\t\\x7f"')


def test_access_reads_the_source_and_bytes_status(make_log, tmp_path):
    pair = (_request(), _response(status=b"304 Not Modified", length=None))
    log = make_log(source=lambda: pair)
    log.access_file = str(tmp_path / "access.log")
    log.access()
    log.source = lambda: (_request(unique_id="other"), _response())
    log.access_log_format = "{i} {s}"
    log.access()
    lines = _lines(tmp_path / "access.log")
    assert ' 304 - "' in lines[0]
    assert lines[1] == "other 200"


def test_access_failure_goes_to_the_error_log(make_log, tmp_path):
    log = make_log()
    log.error_file = str(tmp_path / "error.log")
    log.access_file = str(tmp_path / "access.log")
    log.access()  # no request source configured
    log.source = lambda: (_request(), _response())
    log.access_log_format = "{unknown}"
    log.access()
    errors = (tmp_path / "error.log").read_text(encoding="utf-8")
    assert "RuntimeError: LogManager.access() needs a request source" in errors
    assert "KeyError: 'unknown'" in errors
    assert (tmp_path / "access.log").read_text(encoding="utf-8") == ""


def test_wsgi_handler_writes_to_the_request_error_stream(make_log):
    stream = io.StringIO()
    request = _request(wsgi_environ={"wsgi.errors": stream})
    log = make_log(source=lambda: (request, _response()))
    assert log.wsgi is False
    log.wsgi = True
    assert log.wsgi is True
    log("to wsgi", "APP")
    assert re.fullmatch(TIME + " APP to wsgi\n", stream.getvalue())
    log.wsgi = False
    log("not to wsgi")
    assert "not to wsgi" not in stream.getvalue()


def test_wsgi_error_handler_without_environ_drops_records():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "lost", None, None)
    logmanager.WSGIErrorHandler().emit(record)
    logmanager.WSGIErrorHandler(environ_getter=lambda: None).emit(record)
    stream = io.StringIO()
    handler = logmanager.WSGIErrorHandler(environ_getter=lambda: {"wsgi.errors": stream})
    handler.setFormatter(logmanager.logfmt)
    handler.emit(record)
    assert stream.getvalue() == "lost\n"


def test_cplogging_compat_names():
    assert compat.LogManager is LogManager
    assert compat.logfmt is logmanager.logfmt
    assert compat.WSGIErrorHandler is logmanager.WSGIErrorHandler
    assert compat.NullHandler is logging.NullHandler
    assert (
        compat.logfmt.format(
            logging.LogRecord("x", logging.INFO, __file__, 1, "just %s", ("this",), None)
        )
        == "just this"
    )


def test_fallback_writes_errors_nobody_else_takes_to_stderr(make_log, capsys):
    log = make_log(appid=None, logger_root=f"fallback{next(_ids)}")
    log.fallback = True
    log.error("lost otherwise", "APP", severity=logging.ERROR)
    log.error("just information", "APP", severity=logging.INFO)
    assert capsys.readouterr().err.endswith(" APP lost otherwise\n")

    stream = io.StringIO()
    mine = logging.StreamHandler(stream)
    log.error_log.addHandler(mine)
    log.error("taken by the handler", "APP", severity=logging.ERROR)
    assert "taken by the handler" in stream.getvalue()
    assert capsys.readouterr().err == ""

    mine.setLevel(logging.CRITICAL)  # a handler that would not write it does not count
    log.error("below that handler's level", "APP", severity=logging.ERROR)
    assert "below that handler's level" in capsys.readouterr().err

    log.fallback = False
    log.error_log.removeHandler(mine)
    log.error("silenced on purpose", "APP", severity=logging.ERROR)
    assert capsys.readouterr().err == ""


def test_fallback_writes_to_the_requests_wsgi_errors(make_log):
    errors = io.StringIO()
    request = SimpleNamespace(wsgi_environ={"wsgi.errors": errors})
    log = make_log(appid=None, logger_root=f"fallback{next(_ids)}", source=lambda: (request, None))
    log.fallback = True
    log.error("inside a foreign server", "HTTP", severity=logging.ERROR)
    assert errors.getvalue().endswith(" HTTP inside a foreign server\n")
