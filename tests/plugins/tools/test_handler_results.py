"""Handler results that are no body: named errors, with CherryPy 18's status codes.

CherryPy 18 answers 500 for ``return 42`` (and floats, bools, other objects), for a
list or generator with a chunk that is not text, and 200 with the keys for a dict;
cherrypit answers the same, and says which handler did it and what it may return.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

import cherrypit

ALLOWED = "may return str, bytes, an iterable or generator of them, None, or a file"
DEV = {"request.show_tracebacks": True}


class Root:
    @cherrypit.expose
    def number(self) -> Any:
        return 42

    @cherrypit.expose
    def flag(self) -> Any:
        return True

    @cherrypit.expose
    def thing(self) -> Any:
        return object()

    @cherrypit.expose
    def mapping(self) -> Any:
        return {"a": 1, "bb": 2}

    @cherrypit.expose
    def other_mapping(self) -> Any:
        return {"c": 3}

    @cherrypit.expose
    def mixed_list(self) -> Any:
        return ["text", 7]

    @cherrypit.expose
    def mixed_generator(self) -> Any:
        yield "text"
        yield 7

    @cherrypit.expose
    @cherrypit.tools.json_out()
    def as_json(self) -> Any:
        return {"a": 1}

    @cherrypit.expose
    @cherrypit.tools.json_out()
    def json_number(self) -> Any:
        return 42


def dev_page_error(text: str) -> str:
    found = re.search(r'<strong class="error">(.*?)</strong>', text, re.S)
    assert found is not None, text
    return found.group(1)


@pytest.fixture(params=[True, False], ids=["encode-on", "encode-off"])
def encode(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"tools.encode.on": request.param}


@pytest.mark.parametrize(
    ("path", "shown"), [("/number", "int 42"), ("/flag", "bool True"), ("/thing", "object <")]
)
def test_a_result_that_is_no_body_is_a_500_naming_the_handler(
    mount: Any, error_log: Any, encode: dict[str, Any], path: str, shown: str
) -> None:
    client = mount(Root(), {"/": {**DEV, **encode}})
    r = client.get(path)
    assert r.status == 500  # as CherryPy 18
    name = f"Root.{path[1:]}"
    logged = error_log.text()
    assert f"The page handler {name} (" in logged and __file__ in logged
    assert f"returned {shown}" in logged and ALLOWED in logged
    assert "is not iterable" not in logged
    error = dev_page_error(r.text)
    assert f"The page handler {name} (" in error and ALLOWED in error


def test_production_page_stays_plain(mount: Any, error_log: Any) -> None:
    cherrypit.config.update({"environment": "production"})
    r = mount(Root()).get("/number")
    assert r.status == 500
    assert "Root.number" not in r.text and "Traceback" not in r.text
    assert "Root.number" in error_log.text()


@pytest.mark.parametrize("path", ["/mixed_list", "/mixed_generator"])
def test_a_chunk_that_is_not_text_names_the_handler(
    mount: Any, error_log: Any, encode: dict[str, Any], path: str
) -> None:
    r = mount(Root(), {"/": {**DEV, **encode}}).get(path)
    assert r.status == 500  # as CherryPy 18
    logged = error_log.text()
    assert f"The response body of GET {path} HTTP/1.1 has a chunk" in logged
    assert f"The page handler Root.{path[1:]} (" in logged and ALLOWED in logged
    assert f"Root.{path[1:]}" in dev_page_error(r.text)


def test_a_dict_sends_its_keys_with_one_warning_per_handler(
    mount: Any, error_log: Any, encode: dict[str, Any]
) -> None:
    client = mount(Root(), {"/": encode})
    for _ in range(3):
        r = client.get("/mapping")
        assert (r.status, r.body) == (200, b"abb")  # CherryPy 18 sends the keys
    assert client.get("/other_mapping").body == b"c"
    warnings = [rec.getMessage() for rec in error_log.records if rec.levelno == logging.WARNING]
    about = [w for w in warnings if "Root.mapping" in w]
    assert len(about) == 1
    assert "returned a dict: only its keys are sent" in about[0]
    assert "@cherrypit.tools.json_out()" in about[0]
    assert len([w for w in warnings if "Root.other_mapping" in w]) == 1
    # json_out turns dicts and numbers into JSON before anything checks them.
    assert client.get("/as_json").json() == {"a": 1}
    assert client.get("/json_number").json() == 42
    assert "Root.as_json" not in error_log.text() and "Root.json_number" not in error_log.text()
