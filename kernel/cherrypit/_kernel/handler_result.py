"""What a page handler may return, and the errors that say so by name.

A handler returns ``str``, ``bytes``, an iterable or generator of them, ``None`` or a
file.  Anything else fails as in CherryPy (a 500), but the error names the handler
and what it may return, instead of a ``TypeError`` from deep inside the encoding tool.
A mapping is iterable, so CherryPy sends its keys; that is kept, with a warning in the
error log, once per handler and application.
"""

from __future__ import annotations

import logging
import reprlib
import weakref
from collections.abc import Mapping
from typing import Any

from cherrypit._kernel import serving

__all__ = ["ALLOWED_RESULTS", "body_chunk_error", "check_result", "describe_handler"]

#: What a page handler may return, as the error messages say it.
ALLOWED_RESULTS = "str, bytes, an iterable or generator of them, None, or a file"

_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60

#: Handlers already warned about, per application (bounded: a warning per handler
#: and application, never a growing set).
_warned: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_warned_outside_apps: set[str] = set()
_WARNED_MAX = 1024


def _unwrap(handler: Any) -> Any:
    """The application's callable inside the tool wrappers around ``handler``."""
    from cherrypit._kernel.dispatch import PageHandler

    for _ in range(32):
        if isinstance(handler, PageHandler):
            handler = handler.callable
            continue
        inner = (
            getattr(handler, "__wrapped__", None)
            or getattr(handler, "inner", None)
            or getattr(handler, "oldhandler", None)
        )
        if inner is None or not callable(inner):
            break
        handler = inner
    return handler


def describe_handler(handler: Any) -> str:
    """``Root.index (app.py, line 12)``: the handler's name and where it is defined."""
    target = _unwrap(handler)
    func = getattr(target, "__func__", target)
    code = getattr(func, "__code__", None)
    name = getattr(func, "__qualname__", None)
    if name is None:
        name = f"{type(target).__qualname__} instance"
        call = type(target).__dict__.get("__call__")
        code = getattr(call, "__code__", None)
    if code is None:
        return str(name)
    return f"{name} ({code.co_filename}, line {code.co_firstlineno})"


def check_result(value: Any, handler: Any, request: Any = None) -> None:
    """Refuse, naming ``handler``, a result that is no body; warn about a mapping.

    :param value: what the handler returned; call this only for values that are not
        ``str``, ``bytes``, a list or ``None`` (those are bodies as they are).
    :param handler: the handler that returned it, tool wrappers included: it is
        unwrapped to the application's callable for the message.
    :param request: the request being served (default: the current one).
    :raises TypeError: ``value`` is neither iterable nor a file.
    """
    if isinstance(value, Mapping):
        _warn_mapping(value, handler, request)
        return
    if hasattr(value, "read"):
        return
    try:
        iter(value)
    except TypeError:
        raise TypeError(
            f"The page handler {describe_handler(handler)} returned "
            f"{type(value).__name__} {_repr.repr(value)}; a page handler may return "
            f"{ALLOWED_RESULTS}."
        ) from None


def _warn_mapping(value: Mapping[Any, Any], handler: Any, request: Any) -> None:
    where = describe_handler(handler)
    if request is None:
        request = serving.ambient().request
    app = request.app
    warned = _warned.setdefault(app, set()) if app is not None else _warned_outside_apps
    if where in warned:
        return
    if len(warned) < _WARNED_MAX:
        warned.add(where)
    from cherrypit._kernel import site

    site.log(
        f"The page handler {where} returned a {type(value).__name__}: only its keys are "
        "sent, as CherryPy does. Return a str or bytes, or decorate the handler with "
        "@cherrypit.tools.json_out() to send it as JSON.",
        "HTTP",
        logging.WARNING,
    )


def body_chunk_error(exc: TypeError) -> TypeError:
    """The error for a body with a chunk that is neither ``str`` nor ``bytes``."""
    # Raised while a response joins its body, which does not know its request.
    request = serving.ambient().request
    handler = request.handler
    who = f"The page handler {describe_handler(handler)}" if handler else "A page handler"
    return TypeError(
        f"The response body of {request.request_line or 'this request'} has a chunk that "
        f"is neither str nor bytes ({exc}). {who} may return {ALLOWED_RESULTS}."
    )
