"""``cherrypit.lib.logs``: structlog loggers for applications, from the logging plugin.

``get_logger(name=None, **values)`` returns a structlog logger whose lines go through
``cherrypit.log``'s handlers (console text or JSON, with the request's fields).  The
name resolves on first use to :func:`cherrypit_logging.get_logger` (the kernel does not
import the plugin, nor structlog); it is missing if the ``logging`` plugin is disabled.
This module is cherrypit's own: CherryPy has no such path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_logging import get_logger as get_logger

__all__ = ["get_logger"]


__getattr__ = plugin_attributes(__name__, __all__, provider="logging")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
