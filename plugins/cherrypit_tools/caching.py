"""Cache-control headers: ``tools.expires`` (CherryPy's ``cherrypy.lib.caching.expires``)."""

from __future__ import annotations

import datetime

from cherrypit import log
from cherrypit._kernel.httputil import HTTPDate
from cherrypit._kernel.serving import current

__all__ = ["expires"]

# Any fixed date in the past does; this is the one CherryPy sends (2007-01-28).
_LONG_AGO = HTTPDate(1169942400.0)
_CACHEABILITY_HINTS = ("ETag", "Last-Modified", "Age", "Expires")


def expires(secs: float | datetime.timedelta = 0, force: bool = False, debug: bool = False) -> None:
    """Set ``Expires`` (and, for ``secs == 0``, headers that forbid caching).

    :param secs: seconds after ``response.time`` at which the response expires (an
        int or a :class:`datetime.timedelta`).  0 means "already expired": ``Expires``
        in the past, ``Pragma: no-cache`` and, for HTTP/1.1,
        ``Cache-Control: no-cache, must-revalidate``.
    :param force: without it, nothing is done unless the response already carries a
        caching hint (``ETag``, ``Last-Modified``, ``Age`` or ``Expires``), and headers
        already present are kept.
    """
    slot = current()
    response = slot.response
    headers = response.headers
    cacheable = force or any(name in headers for name in _CACHEABILITY_HINTS)
    if not cacheable:
        if debug:
            log("request is not cacheable", "TOOLS.EXPIRES")
        return
    if debug:
        log("request is cacheable", "TOOLS.EXPIRES")
    if isinstance(secs, datetime.timedelta):
        secs = secs.days * 86400 + secs.seconds
    if secs == 0:
        if force or "Pragma" not in headers:
            headers["Pragma"] = "no-cache"
        if slot.request.protocol >= (1, 1) and (force or "Cache-Control" not in headers):
            headers["Cache-Control"] = "no-cache, must-revalidate"
        expiry = _LONG_AGO
    else:
        expiry = HTTPDate(response.time + secs)
    if force or "Expires" not in headers:
        headers["Expires"] = expiry
