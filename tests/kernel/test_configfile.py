"""CherryPy-style INI config files whose values are Python expressions."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit._kernel.configfile import as_dict, parse, unrepr
from cherrypit.testing import Client


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app.conf"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8080", 8080),
        ("-5", -5),
        ("1.5", 1.5),
        ('"text"', "text"),
        ("'single'", "single"),
        ("True", True),
        ("None", None),
        ("[1, 2, 3]", [1, 2, 3]),
        ("(1, 'a')", (1, "a")),
        ('{"k": [1, {"n": None}]}', {"k": [1, {"n": None}]}),
        ("6 * 7", 42),
        ("2 ** 10", 1024),
        ("not True", False),
        ("[1, 2, 3][1]", 2),
        ("", None),
        ("   ", None),
        ("os.path.join('a', 'b')", os.path.join("a", "b")),
        ("int('12')", 12),
    ],
)
def test_unrepr_values(text: str, value: object) -> None:
    assert unrepr(text) == value


def test_unrepr_imports_dotted_submodules() -> None:
    from cherrypit._kernel.hooks import POINTS

    assert unrepr("cherrypit._kernel.hooks.POINTS") is POINTS


@pytest.mark.parametrize("text", ["no_such_module_xyz", "lambda: 1", "[x for x in y]", "1 +"])
def test_unrepr_rejects(text: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - any failure; parse() wraps it
        unrepr(text)


def test_parse_sections_and_case_preserving_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[global]\nserver.socket_port = 8080\n\n[/static]\nresponse.headers.X-Frame = 'DENY'\n",
    )
    assert parse(path) == {
        "global": {"server.socket_port": 8080},
        "/static": {"response.headers.X-Frame": "DENY"},
    }


def test_parse_interpolation(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[global]\nmyapp.base = "/srv"\nmyapp.static = %(myapp.base)s + "/static"\n',
    )
    assert parse(path)["global"]["myapp.static"] == "/srv/static"


def test_parse_open_file() -> None:
    data = parse(io.StringIO("[/]\nmyapp.v = {1: 'one'}\n"))
    assert data == {"/": {"myapp.v": {1: "one"}}}


def test_method_dispatcher_value(tmp_path: Path) -> None:
    path = write(tmp_path, "[/api]\nrequest.dispatch = cherrypit.dispatch.MethodDispatcher()\n")
    value = parse(path)["/api"]["request.dispatch"]
    assert isinstance(value, cherrypit.dispatch.MethodDispatcher)


def test_method_dispatcher_from_file_serves(tmp_path: Path) -> None:
    @cherrypit.expose
    class Res:
        def GET(self) -> str:
            return "got"

    class R:
        api = Res()

    path = write(tmp_path, "[/api]\nrequest.dispatch = cherrypit.dispatch.MethodDispatcher()\n")
    cherrypit.tree.mount(R(), "", str(path))
    c = Client()
    assert c.get("/api").text == "got"
    r = c.delete("/api")
    assert r.status == 405
    assert r.headers["allow"] == "GET, HEAD"


def test_bad_expression_names_file_section_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[/]\nmyapp.ok = 1\nmyapp.bad = [1, 2\n")
    with pytest.raises(ConfigError) as info:
        parse(path)
    text = str(info.value)
    assert str(path) in text
    assert "[/]" in text
    assert "myapp.bad" in text


def test_unknown_name_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[global]\nmyapp.v = unquoted_text\n")
    with pytest.raises(ConfigError, match=r"\[global\] myapp\.v"):
        cherrypit.config.update(str(path))


def test_bad_expression_through_mount(tmp_path: Path) -> None:
    path = write(tmp_path, "[/]\nmyapp.v = 1 +\n")
    with pytest.raises(ConfigError, match=r"myapp\.v"):
        cherrypit.tree.mount(None, "", str(path))


def test_missing_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        parse(tmp_path / "nope.conf")


def test_as_dict_copies_mappings() -> None:
    original = {"/": {"a.b": 1}}
    copy = as_dict(original)
    assert copy == original
    assert copy is not original


def test_config_file_validation_errors_name_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[global]\nrequest.uri_encoding = 5\n")
    with pytest.raises(ConfigError, match=r"request\.uri_encoding"):
        cherrypit.config.update(str(path))


def test_global_and_path_sections_from_one_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[global]\nmyapp.site = 'site'\n\n[/]\nmyapp.app = 'app'\n",
    )

    class R:
        @cherrypit.expose
        def index(self) -> str:
            conf = cherrypit.request.config
            return f"{conf.get('myapp.site')}|{conf.get('myapp.app')}"

    cherrypit.config.update(str(path))
    cherrypit.tree.mount(R(), "", str(path))
    assert Client().get("/").text == "site|app"


def test_call_arguments_unpack_mappings_and_sequences(tmp_path: Path) -> None:
    conf = tmp_path / "x.conf"
    conf.write_text(
        "[my]\n"
        "literal = dict(**{'foo': 'bar'})\n"
        "mixed = dict(foo='buzz', **{'bar': 'foo'})\n"
        "merged = {'a': 1, **{'b': 2}}\n"
        "override = dict(foo='buzz', **{'foo': 'bar', 'bar': 'foo'})\n"
        "first = dict(**{'k': 1}, **{'k': 2})\n"
        "starred = max(*[3, 9, 4])\n"
    )
    values = parse(conf)["my"]
    assert values["literal"] == {"foo": "bar"}
    assert values["mixed"] == {"foo": "buzz", "bar": "foo"}
    assert values["merged"] == {"a": 1, "b": 2}
    # CherryPy's reading: the keyword written out wins over a ** key (no TypeError).
    assert values["override"] == {"foo": "buzz", "bar": "foo"}
    assert values["first"] == {"k": 1}
    assert values["starred"] == 9
