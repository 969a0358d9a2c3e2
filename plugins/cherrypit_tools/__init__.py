"""cherrypit's built-in toolbox: CherryPy's standard tools under their CherryPy names.

Registered through ``cherrypit_register_tools`` (nothing happens at import time).
Each tool keeps CherryPy's hook point, priority and config keys, so ``tools.gzip.on``
or ``@cherrypit.tools.json_out()`` mean what they meant in CherryPy.  The code lives
in :mod:`~cherrypit_tools.encoding`, :mod:`~cherrypit_tools.cptools`,
:mod:`~cherrypit_tools.jsontools` and :mod:`~cherrypit_tools.caching`, which also back
the compat modules ``cherrypit.lib.encoding``, ``cherrypit.lib.cptools`` and
``cherrypit.lib.jsontools``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit import ErrorTool, Tool
from cherrypit.plugin import hookimpl

from cherrypit_tools import caching, cptools, encoding, jsontools

if TYPE_CHECKING:
    from cherrypit import Toolbox

__all__ = ["caching", "cherrypit_register_tools", "cptools", "encoding", "jsontools"]


@hookimpl
def cherrypit_register_tools(toolbox: Toolbox) -> None:
    """Add the built-in tools to ``toolbox`` (CherryPy's points and priorities)."""
    # on_start_resource
    toolbox.autovary = cptools.AutovaryTool()  # priority 0
    toolbox.allow = Tool("on_start_resource", cptools.allow)
    toolbox.response_headers = Tool("on_start_resource", cptools.response_headers)
    toolbox.accept = Tool("on_start_resource", cptools.accept)
    toolbox.redirect = Tool("on_start_resource", cptools.redirect)
    # before_request_body
    toolbox.proxy = Tool("before_request_body", cptools.proxy, priority=30)
    toolbox.json_in = Tool("before_request_body", jsontools.json_in, priority=30)
    toolbox.decode = Tool("before_request_body", encoding.decode)
    toolbox.ignore_headers = Tool("before_request_body", cptools.ignore_headers)
    toolbox.referer = Tool("before_request_body", cptools.referer)
    # before_handler; the order encode (70) after json_out (30) matters
    toolbox.params = Tool("before_handler", cptools.convert_params, priority=15)
    toolbox.json_out = Tool("before_handler", jsontools.json_out, priority=30)
    toolbox.trailing_slash = Tool("before_handler", cptools.trailing_slash, priority=60)
    toolbox.encode = encoding.EncodeTool()  # priority 70
    # before_finalize
    toolbox.expires = Tool("before_finalize", caching.expires)
    toolbox.flatten = Tool("before_finalize", cptools.flatten)
    toolbox.etags = Tool("before_finalize", cptools.validate_etags, priority=75)
    toolbox.gzip = Tool("before_finalize", encoding.gzip, priority=80)
    # errors and the end of the request
    toolbox.log_tracebacks = Tool("before_error_response", cptools.log_traceback)
    toolbox.log_headers = Tool("before_error_response", cptools.log_request_headers)
    toolbox.err_redirect = ErrorTool(cptools.redirect)
    toolbox.log_hooks = Tool("on_end_request", cptools.log_hooks, priority=100)
