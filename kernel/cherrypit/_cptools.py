"""CherryPy's ``cherrypy._cptools`` import path: the tool classes and the toolbox.

``Tool`` and its kernel subclasses are re-exported here.  ``SessionTool``,
``SessionAuthTool``, ``CachingTool`` and ``XMLRPCController`` belong to plugins; they
are looked up on first access (PEP 562), so importing this module loads no plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit._kernel.site import toolbox as default_toolbox
from cherrypit._kernel.submodules import plugin_attributes
from cherrypit._kernel.tools import ErrorTool as ErrorTool
from cherrypit._kernel.tools import HandlerTool as HandlerTool
from cherrypit._kernel.tools import HandlerWrapperTool as HandlerWrapperTool
from cherrypit._kernel.tools import Tool as Tool
from cherrypit._kernel.tools import Toolbox as Toolbox

if TYPE_CHECKING:
    # Plugin-provided classes: typed as Any until their plugins ship stubs here.
    SessionTool: Any
    SessionAuthTool: Any
    CachingTool: Any
    XMLRPCController: Any

__all__ = [
    "CachingTool",
    "ErrorTool",
    "HandlerTool",
    "HandlerWrapperTool",
    "SessionAuthTool",
    "SessionTool",
    "Tool",
    "Toolbox",
    "XMLRPCController",
    "default_toolbox",
]


__getattr__ = plugin_attributes(__name__)
