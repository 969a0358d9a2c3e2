"""The toolbox: CherryPy's names, hook points and priorities, registered by the plugin hook."""

from __future__ import annotations

import pytest

import cherrypit
import cherrypit_tools
from cherrypit._kernel import pluginmanager
from cherrypit.testing import Client, site_context

# (tool, hook point, priority) of CherryPy 18's default toolbox.
CHERRYPY_TABLE = [
    ("allow", "on_start_resource", 50),
    ("proxy", "before_request_body", 30),
    ("response_headers", "on_start_resource", 50),
    ("log_tracebacks", "before_error_response", 50),
    ("log_headers", "before_error_response", 50),
    ("log_hooks", "on_end_request", 100),
    ("etags", "before_finalize", 75),
    ("decode", "before_request_body", 50),
    ("encode", "before_handler", 70),
    ("gzip", "before_finalize", 80),
    ("expires", "before_finalize", 50),
    ("ignore_headers", "before_request_body", 50),
    ("referer", "before_request_body", 50),
    ("trailing_slash", "before_handler", 60),
    ("flatten", "before_finalize", 50),
    ("accept", "on_start_resource", 50),
    ("redirect", "on_start_resource", 50),
    ("autovary", "on_start_resource", 0),
    ("json_in", "before_request_body", 30),
    ("json_out", "before_handler", 30),
    ("params", "before_handler", 15),
    ("auth_basic", "before_handler", 1),
    ("auth_digest", "before_handler", 1),
    ("session_auth", "before_handler", 50),
    ("caching", "before_handler", 90),
]

# cherrypit's own tools.
EXTRA_TABLE = [
    ("cors", "on_start_resource", 5),
    ("secure_headers", "before_finalize", 90),
    ("cpstats", "on_start_resource", 0),
]


@pytest.fixture
def plugin_only():
    """A site whose only plugin is this one, registered by hand."""
    with site_context(autoload=False, plugins=[("tools", cherrypit_tools)]):
        yield


@pytest.mark.parametrize(("name", "point", "priority"), CHERRYPY_TABLE + EXTRA_TABLE)
def test_points_and_priorities(plugin_only, name, point, priority):
    tool = getattr(cherrypit.tools, name)
    attachments = tool._attachments({"allowed_origins": ["https://x"]} if name == "cors" else {})
    assert (attachments[0][0], attachments[0][2]) == (point, priority)
    assert tool._name == name


@pytest.mark.parametrize("name", ["err_redirect", "xmlrpc"])
def test_error_tools(plugin_only, name):
    assert isinstance(getattr(cherrypit.tools, name), cherrypit.ErrorTool)
    assert getattr(cherrypit.tools, name)._attachments({}) == []


def test_tools_are_owned_by_the_plugin(plugin_only):
    cherrypit.tools.gzip  # noqa: B018 - loads the plugins
    owners = cherrypit.tools._owners
    expected = {name for name, _, _ in CHERRYPY_TABLE + EXTRA_TABLE} | {"err_redirect", "xmlrpc"}
    assert expected <= set(owners)
    assert set(owners.values()) == {"tools"}


def test_import_registers_nothing():
    with site_context(autoload=False):
        import cherrypit_tools.cptools  # noqa: F401 - importing must not register

        assert "gzip" not in cherrypit.tools
        assert cherrypit.tools.get("gzip") is None


def test_disabled_plugin_leaves_a_working_kernel(mount):
    class Root:
        @cherrypit.expose
        def index(self):
            return "café"

    client = mount(Root())
    assert client.get("/").header("Content-Type") == "text/html;charset=utf-8"
    cherrypit.config.update({"plugins.disable": ["tools"]})
    assert "encode" not in cherrypit.tools
    r = Client().get("/")
    assert (r.status, r.body) == (200, "café".encode())
    assert r.header("Content-Type") == "text/html"
    with pytest.raises(AttributeError):
        from cherrypit.lib import cptools

        cptools.allow  # noqa: B018


def test_compat_modules_resolve_to_the_plugin(plugin_only):
    from cherrypit.lib import (
        auth_basic,
        auth_digest,
        caching,
        cpstats,
        cptools,
        encoding,
        jsontools,
        xmlrpcutil,
    )

    for module, plugin_module in (
        (cptools, cherrypit_tools.cptools),
        (encoding, cherrypit_tools.encoding),
        (jsontools, cherrypit_tools.jsontools),
        (auth_basic, cherrypit_tools.auth_basic),
        (auth_digest, cherrypit_tools.auth_digest),
        (caching, cherrypit_tools.caching),
        (cpstats, cherrypit_tools.cpstats),
        (xmlrpcutil, cherrypit_tools.xmlrpc),
    ):
        for name in module.__all__:
            assert getattr(module, name) is getattr(plugin_module, name), name
        assert set(module.__all__) <= set(dir(module))
        with pytest.raises(AttributeError):
            module.no_such_name  # noqa: B018
    assert pluginmanager.plugin_module("tools") is cherrypit_tools


def test_tool_decorator_and_arguments(plugin_only):
    @cherrypit.tools.gzip(compress_level=9)
    def handler():
        return "x"

    assert handler._cp_config == {"tools.gzip.on": True, "tools.gzip.compress_level": 9}
    with pytest.raises(TypeError):
        cherrypit.tools.gzip(9)
