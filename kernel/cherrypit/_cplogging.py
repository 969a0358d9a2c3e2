"""CherryPy's ``cherrypy._cplogging`` import path; see :mod:`cherrypit._kernel.logmanager`."""

import time
from logging import NullHandler as NullHandler

from cherrypit._kernel.logmanager import LogManager as LogManager
from cherrypit._kernel.logmanager import WSGIErrorHandler as WSGIErrorHandler
from cherrypit._kernel.logmanager import _rfc3339_utc
from cherrypit._kernel.logmanager import logfmt as logfmt

__all__ = ["LazyRfc3339UtcTime", "LogManager", "NullHandler", "WSGIErrorHandler", "logfmt"]


class LazyRfc3339UtcTime:
    """The current UTC time as RFC 3339 text, computed when converted to ``str``."""

    def __str__(self) -> str:
        return _rfc3339_utc(time.time())
