"""``cherrypit.lib.logs``: structlog loggers for applications, from the logging plugin.

``get_logger(name=None, **values)`` returns a structlog logger whose lines go through
``cherrypit.log``'s handlers (console text or JSON, with the request's fields).  The
name resolves on first use to :func:`cherrypit_logging.get_logger` (the kernel does not
import the plugin, nor structlog); it is missing if the ``logging`` plugin is disabled.
This module is cherrypit's own: CherryPy has no such path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit._kernel.pluginmanager import plugin_module

if TYPE_CHECKING:
    from cherrypit_logging import get_logger as get_logger

__all__ = ["get_logger"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(plugin_module("logging"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
