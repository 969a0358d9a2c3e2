"""log_tracebacks and log_headers (on by default) and log_hooks."""

from __future__ import annotations

import logging

import cherrypit


class Root:
    @cherrypit.expose
    def index(self):
        return "fine"

    @cherrypit.expose
    def boom(self):
        raise ZeroDivisionError("boom here")

    @cherrypit.expose
    def not_found(self):
        raise cherrypit.NotFound()


def test_unexpected_errors_log_traceback_and_headers(mount, error_log):
    client = mount(Root())
    r = client.get("/boom", headers={"X-Request-Tag": "abc"})
    assert r.status == 500
    text = error_log.text()
    assert "ZeroDivisionError: boom here" in text
    assert "Traceback (most recent call last)" in text
    assert "Request Headers:" in text
    assert "  X-Request-Tag: abc" in text
    errors = [rec for rec in error_log.records if rec.exc_info]
    assert errors and errors[0].levelno == logging.ERROR


def test_http_errors_are_not_logged_as_tracebacks(mount, error_log):
    client = mount(Root())
    assert client.get("/not_found").status == 404
    assert client.get("/").status == 200
    assert "Traceback" not in error_log.text()
    assert "Request Headers" not in error_log.text()


def test_secrets_are_redacted_from_logged_headers(mount, error_log):
    client = mount(Root())
    client.get("/boom", headers={"Authorization": "Basic c2VjcmV0", "Cookie": "sid=123"})
    text = error_log.text()
    assert "c2VjcmV0" not in text and "sid=123" not in text
    assert "  Authorization: <redacted>" in text
    assert "  Cookie: <redacted>" in text


def test_redaction_can_be_turned_off(mount, error_log):
    client = mount(Root(), {"/": {"tools.log_headers.redact": ()}})
    client.get("/boom", headers={"Cookie": "sid=123"})
    assert "  Cookie: sid=123" in error_log.text()


def test_severity_and_switching_off(mount, error_log):
    client = mount(
        Root(),
        {"/": {"tools.log_tracebacks.severity": logging.WARNING, "tools.log_headers.on": False}},
    )
    client.get("/boom")
    warned = [rec for rec in error_log.records if rec.exc_info]
    assert warned and warned[0].levelno == logging.WARNING
    assert "Request Headers" not in error_log.text()

    client = mount(Root(), {"/": {"tools.log_tracebacks.on": False, "tools.log_headers.on": False}})
    error_log.records.clear()
    assert client.get("/boom").status == 500
    assert "ZeroDivisionError" not in error_log.text()


def test_log_hooks_lists_every_point(mount, error_log):
    client = mount(Root(), {"/": {"tools.log_hooks.on": True, "tools.gzip.on": True}})
    assert client.get("/").status == 200
    text = error_log.text()
    assert "Request Hooks for http://127.0.0.1:8080/:" in text
    for point in ("on_start_resource", "before_handler", "before_finalize", "on_end_request"):
        assert f"    {point}:" in text
    assert "gzip" in text and "priority=80" in text
    assert "priority=100" in text  # log_hooks itself
