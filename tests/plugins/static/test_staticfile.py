"""tools.staticfile: one configured file per path."""

from __future__ import annotations

import cherrypit


class Root:
    @cherrypit.expose
    def index(self):
        return "root"

    @cherrypit.expose
    def page(self):
        return "page handler"


def test_absolute_filename(mount, tree):
    conf = {
        "/favicon.ico": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(tree / "static" / "pixel.png"),
        }
    }
    client = mount(Root(), conf)
    r = client.get("/favicon.ico")
    assert r.status == 200
    assert r.body == (tree / "static" / "pixel.png").read_bytes()
    assert r.header("Content-Type") == "image/png"
    assert r.header("Last-Modified") and r.header("Accept-Ranges") == "bytes"


def test_filename_relative_to_root(mount, tree):
    conf = {
        "/robots.txt": {
            "tools.staticfile.on": True,
            "tools.staticfile.root": str(tree / "static"),
            "tools.staticfile.filename": "notes.txt",
        }
    }
    client = mount(Root(), conf)
    r = client.get("/robots.txt")
    assert (r.body, r.header("Content-Type")) == (b"Plain notes.\n", "text/plain")


def test_relative_filename_without_root_is_a_server_error(mount, tree):
    conf = {"/x.txt": {"tools.staticfile.on": True, "tools.staticfile.filename": "notes.txt"}}
    assert mount(Root(), conf).get("/x.txt").status == 500


def test_content_types_and_match(mount, tree):
    notes = str(tree / "static" / "notes.txt")
    conf = {
        "/page": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": notes,
            "tools.staticfile.content_types": {"txt": "text/x-notes"},
            "tools.staticfile.match": r"^/page$",
        }
    }
    client = mount(Root(), conf)
    r = client.get("/page")
    assert (r.body, r.header("Content-Type")) == (b"Plain notes.\n", "text/x-notes")
    assert client.get("/page/").text == "page handler"  # match rejects it


def test_missing_file_falls_through_to_the_handler(mount, tree):
    conf = {
        "/page": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(tree / "static" / "gone.txt"),
        }
    }
    assert mount(Root(), conf).get("/page").text == "page handler"


def test_only_get_and_head(mount, tree):
    conf = {
        "/page": {
            "tools.staticfile.on": True,
            "tools.staticfile.filename": str(tree / "static" / "notes.txt"),
        }
    }
    client = mount(Root(), conf)
    assert client.post("/page", body=b"").text == "page handler"
    r = client.head("/page")
    assert (r.status, r.body, r.header("Content-Length")) == (200, b"", "13")


def test_as_a_decorator(mount, tree):
    path = str(tree / "static" / "notes.txt")

    class Decorated:
        @cherrypit.expose
        @cherrypit.tools.staticfile(filename=path)
        def notes(self):
            return "not reached"

    assert mount(Decorated()).get("/notes").body == b"Plain notes.\n"


def test_handler_mounted_as_a_page(mount, tree):
    tool = cherrypit.tools.staticfile
    assert isinstance(tool, cherrypit.HandlerTool)
    root = Root()
    root.about = tool.handler(filename=str(tree / "static" / "notes.txt"))  # type: ignore[attr-defined]
    assert mount(root).get("/about").body == b"Plain notes.\n"
