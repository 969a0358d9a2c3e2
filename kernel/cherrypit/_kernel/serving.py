"""The one context-local slot: which request and response the current code serves.

Kernel code passes ``request``/``response`` explicitly.  Only the public facade
(``cherrypit.request``, ``cherrypit.response``, ``cherrypit.serving``) reads this
slot, so that CherryPy-style handlers can keep writing ``cherrypy.request.params``.
The WSGI gateway fills the slot; the request cycle itself (dispatch, the config
plan, tools' hooks, error pages) gets the request and response as arguments.  The
kernel functions that user code calls without handing over a request, because
CherryPy's signatures have none (``cherrypit.url()``, ``HTTPRedirect(...)``,
``HTTPError.set_response()``, ``cherrypit.log(...)``, ``Tool._setup()``, a
CherryPy-style ``dispatcher(path_info)``), read it through :func:`ambient`, so each
such read is visible by name.

A :class:`contextvars.ContextVar` rather than a thread-local: each worker thread of a
threaded server gets its own context, and the same code keeps working under an
event loop or when a request is served by a thread pool that copies contexts.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cherrypit._kernel.request import Request, Response


class Serving:
    """The pair (request, response) being served, plus a per-request scratch dict."""

    __slots__ = ("request", "response", "session")

    def __init__(self, request: Request, response: Response) -> None:
        self.request = request
        self.response = response
        #: Set by the sessions plugin while a session tool is active.
        self.session: Any = None

    def load(self, request: Request, response: Response) -> None:
        """Point this slot at a new request/response pair (CherryPy's ``serving.load``)."""
        self.request = request
        self.response = response

    def clear(self) -> None:
        """Forget the current request (CherryPy's ``serving.clear``)."""
        self.__init__(_blank_request(), _blank_response())  # type: ignore[misc]


_current: ContextVar[Serving] = ContextVar("cherrypit.serving")


def _blank_request() -> Request:
    from cherrypit._kernel.httputil import Host
    from cherrypit._kernel.request import Request

    return Request(Host("127.0.0.1", 80), Host("127.0.0.1", 1111), "http", "HTTP/1.1")


def _blank_response() -> Response:
    from cherrypit._kernel.request import Response

    return Response()


def current() -> Serving:
    """Return the serving slot of this context, creating a blank one outside requests.

    Outside a request CherryPy exposes a default ``Request`` object, so code such as
    ``cherrypy.url()`` at start-up or ``cherrypy.request.app`` checks still work.
    """
    try:
        return _current.get()
    except LookupError:
        slot = Serving(_blank_request(), _blank_response())
        _current.set(slot)
        return slot


#: The name kernel modules use to read the slot: only in APIs that user code calls
#: without passing the request (never on the cycle's own path).
ambient = current


def install(request: Request, response: Response) -> Any:
    """Make ``request``/``response`` current; returns a token for :func:`reset`."""
    return _current.set(Serving(request, response))


def reset(token: Any) -> None:
    """Restore the slot that was current before :func:`install`."""
    _current.reset(token)


#: CherryPy's ``cherrypy.thread_data``: scratch space that lives as long as the thread.
thread_data = threading.local()
