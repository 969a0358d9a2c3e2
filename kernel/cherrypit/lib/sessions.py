"""CherryPy's ``cherrypy.lib.sessions`` import path, backed by the sessions plugin.

The names resolve on first use to :mod:`cherrypit_sessions.api` (the kernel does not
import the plugin); they are missing if the ``sessions`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit._kernel.pluginmanager import plugin_module

if TYPE_CHECKING:
    from cherrypit_sessions.api import FileSession as FileSession
    from cherrypit_sessions.api import RamSession as RamSession
    from cherrypit_sessions.api import Session as Session
    from cherrypit_sessions.api import close as close
    from cherrypit_sessions.api import expire as expire
    from cherrypit_sessions.api import init as init
    from cherrypit_sessions.api import missing as missing
    from cherrypit_sessions.api import save as save
    from cherrypit_sessions.api import set_response_cookie as set_response_cookie

__all__ = [
    "FileSession",
    "RamSession",
    "Session",
    "close",
    "expire",
    "init",
    "missing",
    "save",
    "set_response_cookie",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(plugin_module("sessions").api, name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
