"""Registration, CherryPy's import path ``cherrypit.lib.static`` and the off switch."""

from __future__ import annotations

import mimetypes

import pytest

import cherrypit
import cherrypit_static
from cherrypit import ConfigError
from cherrypit.testing import site_context
from cherrypit_static import respond, tools


@pytest.fixture
def plugin_only():
    with site_context(autoload=False, plugins=[("static", cherrypit_static)]):
        yield


def test_tools_are_handler_tools_at_cherrypy_priority(plugin_only):
    for name in ("staticdir", "staticfile"):
        tool = getattr(cherrypit.tools, name)
        assert isinstance(tool, cherrypit.HandlerTool)
        point, _, priority, _ = tool._attachments({})[0]
        assert (point, priority) == ("before_handler", 50)
        assert cherrypit.tools._owners[name] == "static"


def test_tool_arguments_are_introspectable(plugin_only):
    tool = cherrypit.tools.staticdir
    for name in ("section", "dir", "root", "match", "content_types", "index", "debug"):
        assert hasattr(tool, name)
    assert hasattr(tool, "follow_symlinks")
    assert hasattr(cherrypit.tools.staticfile, "filename")


def test_lib_static_names(plugin_only):
    from cherrypit.lib import static

    assert static.serve_file is respond.serve_file
    assert static.serve_fileobj is respond.serve_fileobj
    assert static.serve_download is respond.serve_download
    assert static.staticdir is tools.staticdir
    assert static.staticfile is tools.staticfile
    assert static.mimetypes is mimetypes
    assert set(static.__all__) <= set(dir(static))
    with pytest.raises(AttributeError):
        static.no_such_name  # noqa: B018


def test_cherrypy_mimetype_additions():
    assert mimetypes.types_map[".ico"] == "image/x-icon"
    assert mimetypes.types_map[".dwg"] == "image/x-dwg"
    assert mimetypes.types_map[".bz2"] == "application/x-bzip2"
    assert mimetypes.types_map[".gz"] == "application/x-gzip"


def test_applications_may_add_types(mount, tree, monkeypatch):
    monkeypatch.setitem(mimetypes.types_map, ".txt", "text/x-changed")
    conf = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tree / "static")}}
    client = mount(None, conf)
    assert client.get("/static/notes.txt").header("Content-Type") == "text/x-changed"


def test_disabled_plugin(mount, tree):
    conf = {"/static": {"tools.staticdir.on": True, "tools.staticdir.dir": str(tree / "static")}}
    mount(None, conf)
    cherrypit.config.update({"plugins.disable": ["static"]})
    assert "staticdir" not in cherrypit.tools
    with pytest.raises(AttributeError, match="static"):
        from cherrypit.lib import static

        static.serve_file  # noqa: B018
    with pytest.raises(ConfigError):
        cherrypit.tree.mount(None, "/other", conf)
