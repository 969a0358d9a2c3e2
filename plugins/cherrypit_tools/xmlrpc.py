"""XML-RPC: ``tools.xmlrpc``, :class:`XMLRPCController` and :func:`XMLRPCDispatcher`.

An XML-RPC call is dispatched twice: by URL to a controller subclassing
:class:`XMLRPCController`, then by the method name in the request body to an exposed
method of that controller (dots walk into sub-objects).  Answers are always
``200 OK`` with ``text/xml``; an error becomes an XML-RPC ``Fault`` (code 1) through
``tools.xmlrpc``, an :class:`~cherrypit.ErrorTool` the controller switches on.
:func:`XMLRPCDispatcher` strips the conventional ``/RPC2`` prefix before dispatching.
"""

from __future__ import annotations

import sys
import xmlrpc.client
from collections.abc import Callable
from typing import Any

from cherrypit import ErrorTool, expose
from cherrypit.plugin import Dispatcher, current

__all__ = [
    "XMLRPCController",
    "XMLRPCDispatcher",
    "XMLRPCTool",
    "on_error",
    "patched_path",
    "process_body",
    "respond",
]


def process_body() -> tuple[tuple[Any, ...], str | None]:
    """``(params, method name)`` from the XML-RPC request body.

    A body that is not an XML-RPC call gives ``(('ERROR PARAMS',), 'ERRORMETHOD')``,
    which no controller exposes, so the answer is a Fault.
    """
    try:
        return xmlrpc.client.loads(current().request.body.read())
    except Exception:
        return ("ERROR PARAMS",), "ERRORMETHOD"


def patched_path(path: str) -> str:
    """``path`` with a trailing slash and without a leading ``/RPC2``."""
    if not path.endswith("/"):
        path += "/"
    if path.startswith("/RPC2/"):
        path = path[5:]
    return path


def _set_response(body: str) -> None:
    # XML-RPC answers 200 unless HTTP itself failed; clients treat any other status
    # as a protocol error.
    response = current().response
    encoded = body.encode("utf-8")
    response.status = "200 OK"
    response.body = encoded
    response.headers["Content-Type"] = "text/xml"
    response.headers["Content-Length"] = str(len(encoded))


def respond(body: Any, encoding: str = "utf-8", allow_none: bool | int = 0) -> None:
    """Make ``body`` (a value or a :class:`xmlrpc.client.Fault`) the XML-RPC answer."""
    params = body if isinstance(body, xmlrpc.client.Fault) else (body,)
    _set_response(
        xmlrpc.client.dumps(
            params, methodresponse=True, encoding=encoding, allow_none=bool(allow_none)
        )
    )


def on_error(*args: Any, **kwargs: Any) -> None:
    """Answer the exception being handled as an XML-RPC Fault (code 1)."""
    error = sys.exc_info()[1]
    _set_response(xmlrpc.client.dumps(xmlrpc.client.Fault(1, str(error))))


class XMLRPCTool(ErrorTool):
    """``tools.xmlrpc``: errors become Faults (settings ``encoding``, ``allow_none``)."""

    def __init__(self) -> None:
        super().__init__(on_error)


class XMLRPCController:
    """Base class for XML-RPC controllers: exposed methods are the RPC methods.

    ``tools.xmlrpc`` is on for subclasses; ``tools.xmlrpc.encoding`` (``utf-8``) and
    ``tools.xmlrpc.allow_none`` (0) shape the answers.
    """

    _cp_config: dict[str, Any] = {"tools.xmlrpc.on": True}

    @expose
    def default(self, *vpath: Any, **params: Any) -> Any:
        rpcparams, rpcmethod = process_body()
        target: Any = self
        name = ""
        for name in str(rpcmethod).split("."):
            target = getattr(target, name, None)
        if not (target and getattr(target, "exposed", False)):
            # Becomes a Fault through tools.xmlrpc (the XML-RPC way to say 404).
            raise Exception(f'method "{name}" is not supported')
        body = target(*(vpath + rpcparams), **params)
        conf = current().request.toolmaps.get("tools", {}).get("xmlrpc", {})
        respond(body, conf.get("encoding", "utf-8"), conf.get("allow_none", 0))
        return current().response.body


def XMLRPCDispatcher(next_dispatcher: Callable[[str], Any] | None = None) -> Callable[[str], Any]:
    """A dispatcher that drops a leading ``/RPC2`` and hands over to ``next_dispatcher``."""
    inner = next_dispatcher if next_dispatcher is not None else Dispatcher()

    def xmlrpc_dispatch(path_info: str) -> Any:
        return inner(patched_path(path_info))

    return xmlrpc_dispatch
