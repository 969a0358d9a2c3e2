"""The names of CherryPy's ``cherrypy.lib.sessions``, as ``cherrypit.lib.sessions`` serves them.

Storages (:class:`Session` to subclass, :class:`RamSession`, :class:`FileSession`), the
tool's hook functions (:func:`init`, :func:`save`, :func:`close`) and the cookie helpers
(:func:`expire`, :func:`set_response_cookie`).
"""

from __future__ import annotations

from cherrypit_sessions.base import Session, SessionLockTimeout, missing
from cherrypit_sessions.cookies import expire_cookie as expire
from cherrypit_sessions.cookies import set_response_cookie
from cherrypit_sessions.files import FileSession
from cherrypit_sessions.ram import RamSession
from cherrypit_sessions.tool import SessionTool, close, init, save

__all__ = [
    "FileSession",
    "RamSession",
    "Session",
    "SessionLockTimeout",
    "SessionTool",
    "close",
    "expire",
    "init",
    "missing",
    "save",
    "set_response_cookie",
]
