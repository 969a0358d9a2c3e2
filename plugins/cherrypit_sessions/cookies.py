"""The session cookie: writing it (with secure defaults) and expiring it.

Defaults differ from CherryPy's on purpose: ``HttpOnly`` and ``SameSite=Lax`` are on,
and ``Secure`` follows the request scheme (on for https).  ``httponly=False``,
``samesite=None`` and ``secure=False`` give CherryPy's bare cookie back.
"""

from __future__ import annotations

import time
from typing import Any

from cherrypit.lib.httputil import HTTPDate
from cherrypit.plugin import current

__all__ = ["expire_cookie", "max_age", "set_response_cookie"]

_ONE_YEAR = 365 * 24 * 3600


def max_age(timeout_minutes: float) -> int | float:
    """Seconds for ``Max-Age`` (a whole number when it is one, as CherryPy writes it)."""
    seconds = timeout_minutes * 60
    if isinstance(seconds, float) and seconds.is_integer():
        return int(seconds)
    return seconds


def request_is_https(request: Any) -> bool:
    """True for https requests, directly or as rewritten by a trusted proxy tool."""
    return request.scheme == "https" or str(request.base).startswith("https://")


def set_response_cookie(
    path: str | None = None,
    path_header: str | None = None,
    name: str = "session_id",
    timeout: float | None = 60,
    domain: str | None = None,
    secure: bool | None = None,
    httponly: bool = True,
    samesite: str | None = "Lax",
) -> None:
    """Put the current session's id into the response cookie ``name``.

    :param path: cookie ``Path``; if unset, the value of request header
        ``path_header``, else ``/``.
    :param timeout: minutes for ``Max-Age``/``Expires``; falsy makes a browser-session
        cookie.
    :param secure: ``True``/``False`` force the ``Secure`` flag; ``None`` sets it on https.
    :param samesite: ``"Lax"``, ``"Strict"``, ``"None"``, or ``None`` for no attribute.
    """
    slot = current()
    request, session = slot.request, slot.session
    cookie = slot.response.cookie
    cookie[name] = session.id
    morsel = cookie[name]
    morsel["path"] = path or (request.headers.get(path_header) if path_header else None) or "/"
    if timeout:
        morsel["max-age"] = max_age(timeout)
        morsel["expires"] = HTTPDate(time.time() + timeout * 60)
    if domain is not None:
        morsel["domain"] = domain
    if secure is None:
        secure = request_is_https(request)
    if secure:
        morsel["secure"] = True
    if httponly:
        morsel["httponly"] = True
    if samesite:
        morsel["samesite"] = samesite


def expire_cookie(name: str | None = None) -> None:
    """Tell the client to drop the session cookie (an ``Expires`` date in the past).

    :param name: the cookie name; by default ``tools.sessions.name`` of the current path.
    """
    slot = current()
    if name is None:
        name = slot.request.config.get("tools.sessions.name", "session_id")
    assert name is not None
    cookie = slot.response.cookie
    if name not in cookie:
        cookie[name] = ""
    morsel = cookie[name]
    morsel["expires"] = HTTPDate(time.time() - _ONE_YEAR)
    # An empty value leaves the attribute out of the header.
    morsel["max-age"] = ""
