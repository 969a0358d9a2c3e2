"""cherrypit's templates plugin: ``tools.template``, ``render`` and the engine registry.

A page handler returns a dict; the tool (or the :func:`render` decorator) renders it with
a named template through an engine found in the ``cherrypit.template_engines``
entry-point group (Jinja2 and Mako ship as extras).  The hook implementation below only
registers the tool; the work happens in :mod:`~cherrypit_templates.tool`,
:mod:`~cherrypit_templates.rendering`, :mod:`~cherrypit_templates.registry` and
:mod:`~cherrypit_templates.engine` (the engine contract).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
