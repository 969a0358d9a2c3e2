"""cherrypit's static-file plugin: ``tools.staticdir``, ``tools.staticfile`` and helpers.

Registered through ``cherrypit_register_tools``.  The work happens in
:mod:`~cherrypit_static.tools` (the two tools), :mod:`~cherrypit_static.respond`
(``serve_file``, ``serve_fileobj``, ``serve_download``, which also back CherryPy's
``cherrypit.lib.static`` import path), :mod:`~cherrypit_static.containment` (how a URL
path is kept inside its directory), :mod:`~cherrypit_static.ranges`,
:mod:`~cherrypit_static.bodies`, :mod:`~cherrypit_static.disposition` and
:mod:`~cherrypit_static.mime`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cherrypit import HandlerTool
from cherrypit.plugin import WarmupProbe, hookimpl
from cherrypit_static import mime, respond, tools

if TYPE_CHECKING:
    from cherrypit import Toolbox

__all__ = [
    "cherrypit_compat_attribute",
    "cherrypit_register_tools",
    "cherrypit_section_markers",
    "cherrypit_warmup_probes",
    "mime",
    "respond",
    "tools",
]

#: ``cherrypit.lib.static`` name -> the submodule that defines it.
_LIB_STATIC = {
    "mimetypes": mime,
    "serve_download": respond,
    "serve_file": respond,
    "serve_fileobj": respond,
    "staticdir": tools,
    "staticfile": tools,
}


@hookimpl
def cherrypit_register_tools(toolbox: Toolbox) -> None:
    """Add ``staticdir`` and ``staticfile`` (``before_handler``, priority 50, as in CherryPy)."""
    toolbox.staticdir = HandlerTool(tools.staticdir)
    toolbox.staticfile = HandlerTool(tools.staticfile)


@hookimpl
def cherrypit_warmup_probes() -> Mapping[str, WarmupProbe]:
    """A file through ``tools.staticdir`` at engine start (this package's own, read only)."""
    folder = os.path.dirname(os.path.abspath(__file__))
    config = {"tools.staticdir.on": True, "tools.staticdir.dir": folder}
    return {"/static": WarmupProbe(config, "/static/" + os.path.basename(__file__))}


@hookimpl
def cherrypit_section_markers() -> dict[str, str]:
    """``tools.staticdir.dir`` is resolved against the section that configures it."""
    return {"tools.staticdir.dir": "tools.staticdir.section"}


@hookimpl
def cherrypit_compat_attribute(module: str, name: str) -> Any:
    """Back CherryPy's ``cherrypit.lib.static`` (``serve_file`` and friends)."""
    if module == "cherrypit.lib.static" and name in _LIB_STATIC:
        return getattr(_LIB_STATIC[name], name)
    return None
