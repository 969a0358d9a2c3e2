"""``cherrypy._cperror._HTTPErrorTemplate``: applications replace it to restyle every
default error page, as CherryPy renders it with ``%(status)s``-style fields."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import cherrypit
from cherrypit import _cperror
from cherrypit._kernel.version import VERSION
from cherrypit.testing import Client, LogRecords

_TEMPLATE = "<h1>%(status)s</h1><p>%(message)s</p><pre>%(traceback)s</pre><i>%(version)s</i>"


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "home"

    @cherrypit.expose
    def fail(self) -> str:
        raise ValueError("boom <b>")


def test_the_default_is_a_percent_template_of_the_default_page(
    mount: Callable[..., Client],
) -> None:
    client = mount(Root())
    default = client.get("/missing").text
    assert "%(status)s" in _cperror._HTTPErrorTemplate
    fields = {
        "status": "404 Not Found",
        "message": "The path &#x27;/missing&#x27; was not found.",
        "traceback": "",
        "version": VERSION,
    }
    assert (_cperror._HTTPErrorTemplate % fields).strip() == default.strip().replace("'", "&#x27;")


def test_a_replaced_template_renders_every_default_error_page(
    mount: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_cperror, "_HTTPErrorTemplate", _TEMPLATE)
    client = mount(Root(), {"/": {"request.show_tracebacks": True}})
    missing = client.get("/missing")
    assert missing.status == 404
    assert missing.headers["content-type"] == "text/html;charset=utf-8"
    assert missing.text.startswith(
        "<h1>404 Not Found</h1><p>The path '/missing' was not found.</p><pre>"
    )
    failed = client.get("/fail")
    assert failed.status == 500
    assert failed.text.startswith("<h1>500 Internal Server Error</h1>")
    # The traceback as escaped text, as CherryPy fills the field.
    assert "ValueError: boom &lt;b&gt;" in failed.text


def test_error_page_config_wins_over_the_template(
    mount: Callable[..., Client], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = tmp_path / "404.html"
    page.write_text("custom %(status)s")
    monkeypatch.setattr(_cperror, "_HTTPErrorTemplate", _TEMPLATE)
    client = mount(Root(), {"/": {"error_page.404": str(page)}})
    assert client.get("/missing").text.startswith("custom 404 Not Found")


def test_a_broken_template_falls_back_to_the_default_page_and_is_logged(
    mount: Callable[..., Client], monkeypatch: pytest.MonkeyPatch, error_log: LogRecords
) -> None:
    monkeypatch.setattr(_cperror, "_HTTPErrorTemplate", "<h1>%(nonexistent)s</h1>")
    client = mount(Root())
    answer = client.get("/missing")
    assert answer.status == 404
    assert "<title>404 Not Found</title>" in answer.text
    assert "_HTTPErrorTemplate failed" in error_log.text()
