"""plugins.disable = ['templates'] leaves a working kernel without the template tool."""

from __future__ import annotations

import pytest

import cherrypit
from cherrypit import ConfigError
from cherrypit.testing import Client


class Root:
    @cherrypit.expose
    def index(self):
        return "kernel only"


def test_disabled_plugin_leaves_the_kernel_working(site_reset):
    cherrypit.config.update({"plugins.disable": ["templates"]})
    cherrypit.tree.mount(Root())
    r = Client().get("/")
    assert (r.status, r.text) == (200, "kernel only")
    assert "template" not in cherrypit.tools
    with pytest.raises(AttributeError):
        cherrypit.tools.template  # noqa: B018


def test_disabled_plugin_refuses_its_config_keys(site_reset):
    cherrypit.config.update({"plugins.disable": ["templates"]})
    with pytest.raises(ConfigError, match="no tool named 'template'"):
        cherrypit.tree.mount(Root(), "", {"/": {"tools.template.on": True}})


def test_disabled_plugin_hides_the_lib_names(site_reset):
    cherrypit.config.update({"plugins.disable": ["templates"]})
    from cherrypit.lib import templates

    with pytest.raises(AttributeError, match="'templates' is not installed or is disabled"):
        templates.render  # noqa: B018


def test_disabling_after_use_removes_the_tool(site_reset):
    assert cherrypit.tools.get("template") is not None
    cherrypit.config.update({"plugins.disable": ["templates"]})
    assert cherrypit.tools.get("template") is None
