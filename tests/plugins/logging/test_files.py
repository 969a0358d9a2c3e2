"""Log files with the plugin: JSON lines on disk, and reopening them on ``graceful``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cherrypit


def read_json(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def handler_lines(path: Path) -> list[dict[str, Any]]:
    """The lines the test's handler wrote (other plugins may log on ``graceful``)."""
    return [line for line in read_json(path) if line.get("context") == "APP"]


def test_site_files_are_reopened_on_graceful(mount, tmp_path):
    client = mount()
    error_file, access_file = tmp_path / "error.log", tmp_path / "access.log"
    cherrypit.config.update(
        {
            "log.error_file": str(error_file),
            "log.access_file": str(access_file),
            "log.format": "json",
        }
    )
    first_id = client.get("/").text
    rotated_error, rotated_access = tmp_path / "error.log.1", tmp_path / "access.log.1"
    error_file.rename(rotated_error)
    access_file.rename(rotated_access)

    cherrypit.engine.publish("graceful")
    second_id = client.get("/").text

    assert [e["request_id"] for e in handler_lines(rotated_error)] == [first_id]
    assert [a["request_id"] for a in read_json(rotated_access)] == [first_id]
    assert [e["request_id"] for e in handler_lines(error_file)] == [second_id]
    [access] = read_json(access_file)
    assert access["request_id"] == second_id and access["status"] == 200


def test_application_files_are_reopened_on_graceful(mount, tmp_path):
    app_error = tmp_path / "app-error.log"
    client = mount(config={"/": {"log.error_file": str(app_error), "log.format": "json"}})
    client.get("/")
    app_error.rename(tmp_path / "app-error.log.1")

    cherrypit.engine.publish("graceful")
    request_id = client.get("/").text

    [line] = handler_lines(app_error)
    assert line["request_id"] == request_id and line["event"] == "inside the handler"
    assert len(handler_lines(tmp_path / "app-error.log.1")) == 1


def test_console_format_in_files(mount, tmp_path):
    client = mount()
    error_file = tmp_path / "error.log"
    cherrypit.config.update({"log.error_file": str(error_file)})
    request_id = client.get("/").text
    text = error_file.read_text(encoding="utf-8")
    assert text.endswith(
        f" APP inside the handler request_id={request_id} method=GET path=/ remote=127.0.0.1\n"
    )
    assert text.count("\n") == 1
