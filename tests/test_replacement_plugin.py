"""A third-party plugin replaces the static-file plugin through the public API only."""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cherrypit
from cherrypit.plugin import register
from cherrypit.testing import Client, fresh_site

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
replacement: Any = importlib.import_module("replacement_static")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    fresh_site(autoload=True)
    cherrypit.config.update({"plugins.disable": ["static"]})
    register(replacement, "replacement_static")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.css").write_text("body { color: red }")
    (tmp_path / "secret.txt").write_text("not for you")
    yield tmp_path
    fresh_site()


class Root:
    @cherrypit.expose
    def index(self) -> str:
        return "home"

    @cherrypit.expose
    def download(self) -> bytes:
        from cherrypit.lib.static import serve_file

        body: bytes = serve_file(str(FIXTURES / "replacement_static" / "__init__.py"))
        return body


def mount(tmp_path: Path) -> Client:
    cherrypit.tree.mount(
        Root(),
        "",
        {
            "/static": {
                "tools.staticdir.on": True,
                "tools.staticdir.root": str(tmp_path),
                "tools.staticdir.dir": "assets",
            }
        },
    )
    return Client()


def test_the_replacement_serves_staticdir_with_its_section(site: Path) -> None:
    client = mount(site)
    r = client.get("/static/app.css")
    assert r.status == 200
    assert r.text == "body { color: red }"
    assert r.headers["x-served-by"] == replacement.MARK
    assert r.headers["content-type"].startswith("text/css")


def test_the_replacement_keeps_requests_inside_its_directory(site: Path) -> None:
    client = mount(site)
    assert client.get("/static/../secret.txt").status in (403, 404)
    assert client.get("/static/%2e%2e/secret.txt").status in (403, 404)
    assert client.get("/static/missing.css").status == 404
    assert client.get("/").text == "home"


def test_cherrypy_import_path_is_backed_by_the_replacement(site: Path) -> None:
    client = mount(site)
    from cherrypit.lib import static

    assert static.serve_file is replacement.serve_file
    r = client.get("/download")
    assert r.headers["x-served-by"] == replacement.MARK


def test_the_first_party_plugin_is_off() -> None:
    fresh_site(autoload=True)
    try:
        cherrypit.config.update({"plugins.disable": ["static"]})
        with pytest.raises(AttributeError):
            cherrypit.tools.staticdir  # noqa: B018
    finally:
        fresh_site()


def test_the_replacement_imports_only_public_modules() -> None:
    tree = ast.parse((FIXTURES / "replacement_static" / "__init__.py").read_text())
    modules = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert modules <= {"__future__", "mimetypes", "os", "typing", "cherrypit", "cherrypit.plugin"}
