"""structlog loggers for applications, writing through cherrypit's error logs.

:func:`get_logger` returns a :class:`structlog.stdlib.BoundLogger` whose lines go where
``cherrypit.log(...)`` writes: inside a request, to the error log of the application
serving it (``cherrypy.error.<appid>``, which also feeds the site's handlers);
elsewhere, to the site's error log (``cherrypy.error``).  They are formatted by the
same handlers, so they come out as console text or JSON like every other line, with
the request's fields.  structlog's global configuration is neither read nor changed.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

import cherrypit
from cherrypit.plugin import current

__all__ = ["CurrentErrorLog", "get_logger"]


class CurrentErrorLog:
    """Stands for the error logger of whichever log is current when a line is written.

    Everything but :attr:`name` is the current :class:`logging.Logger`'s own attribute
    (``info``, ``isEnabledFor``, ``getEffectiveLevel``, ``disabled`` …), looked up per
    call.

    :param name: the name shown as the line's ``logger``; ``None`` shows the name of
        the stdlib logger written to.
    """

    def __init__(self, name: str | None = None) -> None:
        self._name = name

    @staticmethod
    def current() -> logging.Logger:
        """The error logger lines go to right now."""
        app = current().request.app
        manager = app.log if app is not None else cherrypit.log
        return manager.error_log

    @property
    def name(self) -> str:
        """The logger name lines carry."""
        return self._name if self._name is not None else self.current().name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.current(), attr)

    def __repr__(self) -> str:
        return f"<CurrentErrorLog {self._name!r}>"


def _add_logger_name(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    event_dict.setdefault("logger", logger.name)
    return event_dict


def get_logger(name: str | None = None, **initial_values: Any) -> structlog.stdlib.BoundLogger:
    """A structlog logger writing to the current error log (see the module docs).

    :param name: shown as the ``logger`` field (console: where the context goes);
        commonly ``__name__``.
    :param initial_values: key/values bound into every line of this logger.

    Levels follow the stdlib logger written to (``log.level``); positional arguments
    are %-interpolated into the event, as with :mod:`logging`.
    """
    return structlog.stdlib.BoundLogger(
        CurrentErrorLog(name),
        processors=[
            structlog.stdlib.filter_by_level,
            _add_logger_name,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        context=dict(initial_values),
    )
