"""cherrypit's logging plugin: structlog rendering behind CherryPy's logs.

``cherrypit.log``, ``app.log`` and the stdlib loggers ``cherrypy.error[.<appid>]`` and
``cherrypy.access[.<appid>]`` stay what they are; this plugin only changes how their
lines look (:mod:`~cherrypit_logging.rendering`: console text or one JSON object per
line, ``log.format``), adds the request's fields to them
(:mod:`~cherrypit_logging.context`), adds ``log.level`` and ``log.access_fields``
(:mod:`~cherrypit_logging.settings`) and gives applications structlog loggers
(:func:`get_logger`, also ``cherrypit.lib.logs.get_logger``).  The hook
implementations below only wire it in; bus listeners are in
:mod:`~cherrypit_logging.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cherrypit.plugin import LogManager, hookimpl
from cherrypit_logging import lifecycle, rendering, settings
from cherrypit_logging.loggers import get_logger

if TYPE_CHECKING:
    from cherrypit.process.wspbus import Bus

__all__ = [
    "cherrypit_compat_attribute",
    "cherrypit_engine_setup",
    "cherrypit_engine_teardown",
    "cherrypit_log_settings",
    "get_logger",
]


@hookimpl
def cherrypit_log_settings() -> Mapping[str, Callable[[Any, Any], None]]:
    """Add ``log.format`` (``"console"``/``"json"``), ``log.access_fields`` and ``log.level``."""
    return {
        "format": settings.set_format,
        "access_fields": settings.set_access_fields,
        "level": lifecycle.set_level,
    }


@hookimpl
def cherrypit_engine_setup(engine: Bus) -> None:
    """Format every log manager's handlers with structlog; follow the engine's lifecycle."""
    LogManager.set_formatter_factory(rendering.formatter_factory)
    for channel, listener in lifecycle.LISTENERS:
        engine.subscribe(channel, listener)


@hookimpl
def cherrypit_engine_teardown(engine: Bus) -> None:
    """Give the handlers back the kernel's plain formatter and forget the settings."""
    for channel, listener in lifecycle.LISTENERS:
        engine.unsubscribe(channel, listener)
    LogManager.set_formatter_factory(None)
    settings.forget()


@hookimpl
def cherrypit_compat_attribute(module: str, name: str) -> Any:
    """Back ``cherrypit.lib.logs.get_logger``."""
    if module == "cherrypit.lib.logs" and name == "get_logger":
        return get_logger
    return None
