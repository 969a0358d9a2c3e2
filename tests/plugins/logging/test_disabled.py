"""With ``plugins.disable = ['logging']`` the kernel's plain lines are back."""

from __future__ import annotations

import re

import pytest

import cherrypit
import cherrypit.lib.logs
from cherrypit.testing import config_warnings

PLAIN_ERROR = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\] APP inside the handler\n"
PLAIN_ACCESS = r'127\.0\.0\.1 - - \[[^]]+\] "GET / HTTP/1\.1" 200 36 "" ""\n'


def _logging_listeners() -> list[object]:
    # Other code may subscribe (cherrypit.lib.gctools counts requests on import).
    return [
        listener
        for listeners in cherrypit.engine.listeners.values()
        for listener in listeners
        if getattr(listener, "__module__", "").startswith("cherrypit_logging")
    ]


def test_disabled_before_loading_keeps_the_plain_format(mount, capsys):
    client = mount()
    cherrypit.config.update({"plugins.disable": ["logging"], "log.screen": True})
    client.get("/")
    captured = capsys.readouterr()
    assert re.fullmatch(PLAIN_ERROR, captured.err), captured.err
    assert re.fullmatch(PLAIN_ACCESS, captured.out), captured.out
    assert not _logging_listeners()
    # Without the plugin, log.format is only an attribute (as any log.* in CherryPy).
    cherrypit.config.update({"log.format": "json"})
    assert any(w.startswith("log.format: not a known log setting") for w in config_warnings())


def test_disabling_after_use_restores_the_plain_format(mount, capsys):
    client = mount()
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    client.get("/")
    assert capsys.readouterr().err.startswith("{")

    cherrypit.config.update({"plugins.disable": ["logging"]})
    client.get("/")
    captured = capsys.readouterr()
    assert re.fullmatch(PLAIN_ERROR, captured.err), captured.err
    assert re.fullmatch(PLAIN_ACCESS, captured.out), captured.out
    assert not _logging_listeners()
    with pytest.raises(AttributeError, match="logging"):
        cherrypit.lib.logs.get_logger  # noqa: B018
