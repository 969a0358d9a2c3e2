"""Errors are written somewhere in every environment, even with the console off.

Under a foreign WSGI server (the test client stands for one: ``client.errors`` is its
``wsgi.errors``) an error no handler takes goes to ``wsgi.errors``; outside a request,
to stderr.  Configured files take it instead, and only once.
"""

from __future__ import annotations

import logging

import pytest

import cherrypit

# The console handler the site starts with, then what each environment does to it.
ERRORS_GO_TO = {
    "development": "stderr",
    "staging": "stderr",
    "production": "wsgi.errors",
    "embedded": "wsgi.errors",
    "test_suite": "wsgi.errors",
}


@pytest.mark.parametrize("environment", sorted(ERRORS_GO_TO))
def test_a_failing_handler_is_logged_in_every_environment(mount, capsys, environment):
    client = mount()
    cherrypit.config.update({"log.screen": True})
    cherrypit.config.update({"environment": environment})
    response = client.get("/boom")
    assert response.status == 500
    captured = capsys.readouterr()
    written = {"stderr": captured.err, "wsgi.errors": client.errors.getvalue()}
    where = ERRORS_GO_TO[environment]
    assert "HTTP ValueError: it broke" in written[where]
    assert 'raise ValueError("it broke\\non two lines")' in written[where]
    others = [name for name, text in written.items() if name != where]
    assert all("ValueError" not in written[name] for name in others)
    if environment in ("production", "embedded", "staging"):
        assert "Traceback" not in response.text  # the client never sees it


def test_a_configured_error_file_takes_the_error_instead(mount, capsys, tmp_path):
    client = mount()
    log_file = tmp_path / "error.log"
    cherrypit.config.update({"environment": "production", "log.error_file": str(log_file)})
    assert client.get("/boom").status == 500
    assert "ValueError: it broke" in log_file.read_text()
    assert client.errors.getvalue() == ""
    assert capsys.readouterr().err == ""


def test_an_application_error_file_takes_the_error_instead(mount, tmp_path):
    log_file = tmp_path / "app-error.log"
    client = mount(config={"/": {"log.error_file": str(log_file)}})
    cherrypit.config.update({"environment": "production"})
    assert client.get("/boom").status == 500
    assert "ValueError: it broke" in log_file.read_text()
    assert client.errors.getvalue() == ""


def test_log_wsgi_writes_each_error_once(mount):
    client = mount()
    cherrypit.config.update({"environment": "embedded", "log.wsgi": True})
    assert client.get("/boom").status == 500
    assert client.errors.getvalue().count("HTTP ValueError: it broke") == 1


def test_a_handler_of_the_application_counts(mount):
    client = mount()
    cherrypit.config.update({"environment": "production"})
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    keeper = Keep()
    cherrypit.log.error_log.addHandler(keeper)
    try:
        assert client.get("/boom").status == 500
    finally:
        cherrypit.log.error_log.removeHandler(keeper)
    assert [r.exc_info[0] for r in seen if r.exc_info] == [ValueError]
    assert client.errors.getvalue() == ""


def test_log_fallback_false_silences_unhandled_errors(mount, capsys):
    client = mount()
    cherrypit.config.update({"environment": "production", "log.fallback": False})
    assert client.get("/boom").status == 500
    assert client.errors.getvalue() == ""
    assert capsys.readouterr().err == ""


def test_errors_outside_a_request_go_to_stderr(mount, capsys):
    mount()
    cherrypit.config.update({"environment": "production"})
    cherrypit.log("the cache could not be warmed", "APP", logging.ERROR)
    cherrypit.log("an info line stays quiet", "APP", logging.INFO)
    err = capsys.readouterr().err
    assert "APP the cache could not be warmed" in err
    assert "info line" not in err


def test_log_wsgi_outside_a_request_does_not_swallow_errors(mount, capsys):
    mount()
    cherrypit.config.update({"environment": "embedded", "log.wsgi": True})
    cherrypit.log("the engine could not reach the cache", "ENGINE", logging.ERROR)
    assert "ENGINE the engine could not reach the cache" in capsys.readouterr().err
