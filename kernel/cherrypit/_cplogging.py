"""CherryPy's ``cherrypy._cplogging`` import path; see :mod:`cherrypit._kernel.logmanager`."""

from logging import NullHandler as NullHandler

from cherrypit._kernel.logmanager import LogManager as LogManager
from cherrypit._kernel.logmanager import WSGIErrorHandler as WSGIErrorHandler
from cherrypit._kernel.logmanager import logfmt as logfmt

__all__ = ["LogManager", "NullHandler", "WSGIErrorHandler", "logfmt"]
