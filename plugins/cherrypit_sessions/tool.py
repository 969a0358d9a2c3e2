"""``tools.sessions``: CherryPy's session tool, planned once per config.

Hook points and priorities are CherryPy's: the session is opened at
``before_request_body`` (50); it is locked at ``before_handler`` (``locking='implicit'``)
or at ``before_request_body`` priority 60 (``'early'``), or by the application
(``'explicit'``); it is saved at ``before_finalize`` (or at ``on_end_request`` when the
response streams) and closed, lock released, at ``on_end_request`` (90).
"""

from __future__ import annotations

import functools
from typing import Any

from cherrypit import Tool
from cherrypit.lib import is_iterator
from cherrypit.plugin import Attachment, current
from cherrypit_sessions import storages
from cherrypit_sessions.base import Session
from cherrypit_sessions.cookies import set_response_cookie
from cherrypit_sessions.settings import SessionSettings, build

__all__ = ["SessionTool", "close", "init", "open_session", "save"]

def _set_cookie(settings: SessionSettings) -> None:
    c = settings.cookie
    set_response_cookie(
        path=c.path,
        path_header=c.path_header,
        name=c.name,
        timeout=c.timeout,
        domain=c.domain,
        secure=c.secure,
        httponly=c.httponly,
        samesite=c.samesite,
    )


def _follow_id(response: Any, name: str, new_id: str) -> None:
    response.cookie[name] = new_id


def open_session(settings: SessionSettings) -> None:
    """Create the request's session object and set the cookie (the tool's first hook)."""
    slot = current()
    request = slot.request
    if request.__dict__.get("_session_init_flag"):
        return  # already opened for this request
    request.__dict__["_session_init_flag"] = True
    storages.prepare(settings)
    morsel = request.cookie.get(settings.cookie.name)
    sent_id = morsel.value if morsel is not None else None
    session = settings.storage_class(sent_id, **settings.session_kwargs)
    session.cookie_name = settings.cookie.name  # type: ignore[attr-defined]
    session.id_observers.append(functools.partial(_follow_id, slot.response, settings.cookie.name))
    slot.session = session
    _set_cookie(settings)


def init(
    storage_type: str | None = None,
    path: str | None = None,
    path_header: str | None = None,
    name: str = "session_id",
    timeout: float = 60,
    domain: str | None = None,
    secure: bool | None = None,
    clean_freq: float | None = 5,
    persistent: bool = True,
    httponly: bool = True,
    debug: bool = False,
    samesite: str | None = "Lax",
    **kwargs: Any,
) -> None:
    """Open the current request's session (CherryPy's ``lib.sessions.init``).

    Takes the ``tools.sessions.*`` settings as keyword arguments; ``storage_class`` and
    storage options go in ``kwargs``.
    """
    conf = {
        "storage_type": storage_type,
        "path": path,
        "path_header": path_header,
        "name": name,
        "timeout": timeout,
        "domain": domain,
        "secure": secure,
        "clean_freq": clean_freq,
        "persistent": persistent,
        "httponly": httponly,
        "debug": debug,
        "samesite": samesite,
        **kwargs,
    }
    open_session(build(conf))


def _lock() -> None:
    session = current().session
    if session is not None:
        session.acquire_lock()


def save() -> None:
    """Save the session and release its lock (after the body is produced, when streaming)."""
    slot = current()
    session: Session | None = slot.session
    if session is None:
        return
    request, response = slot.request, slot.response
    if request.__dict__.get("_sessionsaved"):
        return
    request.__dict__["_sessionsaved"] = True
    if response.stream:
        # The body is produced while it is sent: save once it is out.
        request.hooks.attach("on_end_request", session.save)
    else:
        # Run a generator body now, under the lock, so what it writes to the session is saved.
        if is_iterator(response.body):
            response.collapse_body()
        session.save()


save.failsafe = True  # type: ignore[attr-defined]


def close() -> None:
    """Release the session lock if still held and forget the request's session."""
    slot = current()
    session = slot.session
    slot.session = None
    if session is not None and session.locked:
        session.release_lock()


close.failsafe = True  # type: ignore[attr-defined]
close.priority = 90  # type: ignore[attr-defined]


class SessionTool(Tool):
    """``tools.sessions``: cookie-based sessions (see the module docstring for the hooks)."""

    def __init__(self) -> None:
        super().__init__("before_request_body", init)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        built = build(settings)
        planned = [Attachment(self._point, open_session, priority, {"settings": built})]
        if built.locking == "implicit":
            planned.append(Attachment("before_handler", _lock, 50))
        elif built.locking == "early":
            planned.append(Attachment("before_request_body", _lock, 60))
        planned.append(Attachment("before_finalize", save, 50))
        planned.append(Attachment("on_end_request", close, 90))
        return planned

    def regenerate(self) -> None:
        """Give the current session a new id and re-send the cookie with all its settings."""
        slot = current()
        session = slot.session
        if session is None:
            raise RuntimeError("no session is open for this request (is tools.sessions on?)")
        session.regenerate()
        conf = self._merged_args()
        conf.pop("priority", None)
        _set_cookie(build(conf))
