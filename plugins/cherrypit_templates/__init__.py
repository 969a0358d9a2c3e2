"""cherrypit's templates plugin: ``tools.template``, ``render`` and the engine registry.

A page handler returns a dict; the tool (or the :func:`render` decorator) renders it with
a named template through an engine found in the ``cherrypit.template_engines``
entry-point group (Jinja2 and Mako ship as extras).  The hook implementations below only
register the tool and back ``cherrypit.lib.templates``; the work happens in
:mod:`~cherrypit_templates.tool`, :mod:`~cherrypit_templates.rendering`,
:mod:`~cherrypit_templates.registry` and :mod:`~cherrypit_templates.engine` (the engine
contract).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit.plugin import hookimpl
from cherrypit_templates.engine import (
    TemplateEngine,
    TemplateError,
    TemplateNotFound,
    find_template_frame,
)
from cherrypit_templates.registry import (
    ENTRY_POINT_GROUP,
    engine_names,
    register_engine,
    unregister_engine,
)
from cherrypit_templates.tool import TemplateTool, render

if TYPE_CHECKING:
    from cherrypit import Toolbox

__all__ = [
    "ENTRY_POINT_GROUP",
    "TemplateEngine",
    "TemplateError",
    "TemplateNotFound",
    "TemplateTool",
    "cherrypit_compat_attribute",
    "cherrypit_register_tools",
    "engine_names",
    "find_template_frame",
    "register_engine",
    "render",
    "unregister_engine",
]


@hookimpl
def cherrypit_register_tools(toolbox: Toolbox) -> None:
    """Add ``tools.template``."""
    toolbox.template = TemplateTool()


#: What ``cherrypit.lib.templates`` offers.
_LIB_TEMPLATES: dict[str, Any] = {
    "TemplateEngine": TemplateEngine,
    "TemplateError": TemplateError,
    "TemplateNotFound": TemplateNotFound,
    "register_engine": register_engine,
    "render": render,
}


@hookimpl
def cherrypit_compat_attribute(module: str, name: str) -> Any:
    """Back ``cherrypit.lib.templates`` (``render`` and the engine contract)."""
    if module == "cherrypit.lib.templates":
        return _LIB_TEMPLATES.get(name)
    return None
