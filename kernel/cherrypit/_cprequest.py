"""CherryPy's ``cherrypy._cprequest`` import path; see :mod:`cherrypit._kernel.request`.

``hookpoints`` lists the request hook points in the order the cycle reaches them.
"""

import uuid
from typing import Any

from cherrypit._kernel.hooks import POINTS as _POINTS
from cherrypit._kernel.hooks import Hook as Hook
from cherrypit._kernel.hooks import HookMap as HookMap
from cherrypit._kernel.request import Request as Request
from cherrypit._kernel.request import Response as Response
from cherrypit._kernel.request import ResponseBody as ResponseBody
from cherrypit._kernel.request import _builtin_namespace

hookpoints: list[str] = list(_POINTS)

_hooks = _builtin_namespace("hooks")
_request = _builtin_namespace("request")
_response = _builtin_namespace("response")
_error_page = _builtin_namespace("error_page")


# Each applies one ``<namespace>.<key>`` config entry to the current request.
def hooks_namespace(k: str, v: Any) -> None:
    """``hooks.<point> = callable``: attach a hook to the current request."""
    _hooks(k, v)


def request_namespace(k: str, v: Any) -> None:
    """``request.<attr> = value`` on the current request."""
    _request(k, v)


def response_namespace(k: str, v: Any) -> None:
    """``response.<attr> = value`` on the current response."""
    _response(k, v)


def error_page_namespace(k: str, v: Any) -> None:
    """``error_page.<status> = file or callable`` for the current request."""
    _error_page(k, v)


class LazyUUID4:
    """A random UUID made the first time it is read (``str()`` or :attr:`uuid4`)."""

    def __init__(self) -> None:
        self._value: str | None = None

    @property
    def uuid4(self) -> str:
        """The UUID, made now if not made yet."""
        if self._value is None:
            self._value = str(uuid.uuid4())
        return self._value

    def __str__(self) -> str:
        return self.uuid4

    def __repr__(self) -> str:
        return repr(self.uuid4)


__all__ = [
    "Hook",
    "HookMap",
    "LazyUUID4",
    "Request",
    "Response",
    "ResponseBody",
    "error_page_namespace",
    "hookpoints",
    "hooks_namespace",
    "request_namespace",
    "response_namespace",
]
