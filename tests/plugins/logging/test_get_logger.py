"""Applications' structlog loggers, and ``log.level``."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

import cherrypit
import cherrypit.lib.logs
import cherrypit_logging
from cherrypit import ConfigError

log = cherrypit_logging.get_logger("shop.views", component="cart")


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


class Shop:
    @cherrypit.expose
    def index(self) -> str:
        log.info("added %d items", 3, sku="A-1")
        log.debug("details")
        return str(cherrypit.request.unique_id)

    @cherrypit.expose
    def fail(self) -> str:
        try:
            raise KeyError("missing")
        except KeyError:
            log.exception("lookup failed")
        return "handled"


def test_compat_path_gives_the_same_function():
    assert cherrypit.lib.logs.get_logger is cherrypit_logging.get_logger
    assert "get_logger" in dir(cherrypit.lib.logs)


def test_lines_inside_a_request_carry_its_fields(mount, capsys):
    client = mount(Shop())
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    request_id = client.get("/").text
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "added 3 items"
    assert line["logger"] == "shop.views"
    assert line["level"] == "info"
    assert (line["sku"], line["component"]) == ("A-1", "cart")
    assert (line["request_id"], line["method"], line["path"]) == (request_id, "GET", "/")
    assert "context" not in line


def test_console_lines_show_the_logger_name_as_context(mount, capsys):
    client = mount(Shop())
    cherrypit.config.update({"log.screen": True})
    request_id = client.get("/").text
    err = capsys.readouterr().err
    assert re.fullmatch(
        r"\[[^]]+\] shop\.views added 3 items component=cart sku=A-1 "
        rf"request_id={request_id} method=GET path=/ remote=127\.0\.0\.1\n",
        err,
    ), err


def test_lines_go_to_the_current_application_log(mount, tmp_path):
    app_file = tmp_path / "shop.log"
    client = mount(Shop(), config={"/": {"log.error_file": str(app_file), "log.format": "json"}})
    client.get("/")
    log.info("outside any request")
    [inside] = json_lines(app_file.read_text(encoding="utf-8"))
    assert inside["event"] == "added 3 items"


def test_outside_a_request_lines_go_to_the_site_log(mount, capsys):
    mount(Shop())
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    cherrypit_logging.get_logger().warning("starting", port=8080)
    [line] = json_lines(capsys.readouterr().err)
    assert line["logger"] == "cherrypy.error"
    assert (line["event"], line["port"], line["level"]) == ("starting", 8080, "warning")
    assert "request_id" not in line


def test_exceptions_are_rendered_into_the_line(mount, capsys):
    client = mount(Shop())
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    assert client.get("/fail").text == "handled"
    [line] = json_lines(capsys.readouterr().err)
    assert line["level"] == "error"
    assert "KeyError: 'missing'" in line["exception"]
    assert line["exception"].startswith("Traceback (most recent call last)")


def test_bound_loggers_keep_their_values(mount, capsys):
    mount()
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    log.bind(order=7).info("paid")
    [line] = json_lines(capsys.readouterr().err)
    assert (line["order"], line["component"]) == (7, "cart")


def test_debug_lines_need_log_level(mount, capsys):
    client = mount(Shop())
    cherrypit.config.update({"log.screen": True, "log.format": "json"})
    client.get("/")
    assert [e["event"] for e in json_lines(capsys.readouterr().err)] == ["added 3 items"]

    # The site's level reaches applications that have none of their own.
    cherrypit.config.update({"log.level": "DEBUG"})
    client.get("/")
    events = [e["event"] for e in json_lines(capsys.readouterr().err)]
    assert events == ["added 3 items", "details"]


def test_application_level_overrides_the_site_level(mount, capsys):
    quiet = mount(Shop(), script_name="/quiet", config={"/": {"log.level": "WARNING"}})
    mount(Shop(), script_name="/loud")
    cherrypit.config.update({"log.screen": True, "log.format": "json", "log.level": 10})
    quiet.get("/quiet/")
    quiet.get("/loud/")
    lines = json_lines(capsys.readouterr().err)
    assert [(e["path"], e["event"]) for e in lines] == [
        ("/loud/", "added 3 items"),
        ("/loud/", "details"),
    ]


def test_levels_are_restored_when_the_plugin_goes(mount):
    mount(Shop())
    cherrypit.config.update({"log.level": "DEBUG"})
    assert cherrypit.log.error_log.level == logging.DEBUG
    cherrypit.config.update({"plugins.disable": ["logging"]})
    assert cherrypit.log.error_log.level == logging.INFO


@pytest.mark.parametrize("value", ["LOUD", True, None])
def test_log_level_rejects_non_levels(mount, value):
    mount()
    with pytest.raises(ConfigError, match=r"log\.level"):
        cherrypit.config.update({"log.level": value})
