"""CherryPy's ``cherrypy.lib.cptools`` import path, backed by the tools plugin.

The names resolve on first use to :mod:`cherrypit_tools.cptools` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The kernel's, not the plugin's: available even with the plugin disabled.
from cherrypit._cpcompat import text_or_bytes as text_or_bytes
from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_tools.cptools import MonitoredHeaderMap as MonitoredHeaderMap
    from cherrypit_tools.cptools import SessionAuth as SessionAuth
    from cherrypit_tools.cptools import accept as accept
    from cherrypit_tools.cptools import allow as allow
    from cherrypit_tools.cptools import autovary as autovary
    from cherrypit_tools.cptools import convert_params as convert_params
    from cherrypit_tools.cptools import flatten as flatten
    from cherrypit_tools.cptools import ignore_headers as ignore_headers
    from cherrypit_tools.cptools import log_hooks as log_hooks
    from cherrypit_tools.cptools import log_request_headers as log_request_headers
    from cherrypit_tools.cptools import log_traceback as log_traceback
    from cherrypit_tools.cptools import proxy as proxy
    from cherrypit_tools.cptools import redirect as redirect
    from cherrypit_tools.cptools import referer as referer
    from cherrypit_tools.cptools import response_headers as response_headers
    from cherrypit_tools.cptools import session_auth as session_auth
    from cherrypit_tools.cptools import trailing_slash as trailing_slash
    from cherrypit_tools.cptools import validate_etags as validate_etags
    from cherrypit_tools.cptools import validate_since as validate_since

__all__ = [
    "MonitoredHeaderMap",
    "SessionAuth",
    "accept",
    "allow",
    "autovary",
    "convert_params",
    "flatten",
    "ignore_headers",
    "log_hooks",
    "log_request_headers",
    "log_traceback",
    "proxy",
    "redirect",
    "referer",
    "response_headers",
    "session_auth",
    "trailing_slash",
    "validate_etags",
    "validate_since",
]


__getattr__ = plugin_attributes(__name__, __all__, provider="tools")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
