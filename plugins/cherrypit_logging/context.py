"""Request context in log lines: who asked for what, and how the answer went.

Every line written while a request is served carries ``request_id``, ``method``,
``path`` and ``remote``.  They are read, when the line is formatted, from the request
of the current context (``cherrypit.serving``, itself a context variable), so the
values follow the request into code that copies its context and never outlive it.

Values an application binds with :func:`structlog.contextvars.bind_contextvars` are
merged into each line too.  The kernel serves each request in its own copy of the
contextvars context, so they end with the request and a worker thread never carries
one request's values into the next.
"""

from __future__ import annotations

import logging
from typing import Any

from structlog.typing import EventDict, WrappedLogger

from cherrypit.plugin import current

__all__ = [
    "ACCESS_KEYS",
    "REQUEST_KEYS",
    "add_request_fields",
    "is_access",
]

#: The fields every line of a request carries, in output order.
REQUEST_KEYS = ("request_id", "method", "path", "remote")
#: The fields an access line adds, in output order.
ACCESS_KEYS = ("status", "bytes", "duration_ms", "user_agent", "referer")


def is_access(record: logging.LogRecord) -> bool:
    """Whether ``record`` is an access line written by a log manager."""
    return hasattr(record, "cherrypit_request")


def _status(response: Any) -> int | None:
    status = getattr(response, "status", None)
    if isinstance(status, bytes):
        status = status.decode("ISO-8859-1")
    if isinstance(status, int):
        return status
    code = str(status or "").split(" ", 1)[0]
    return int(code) if code.isdigit() else None


def _content_length(response: Any) -> int | None:
    headers = getattr(response, "headers", None)
    value = headers.get("Content-Length") if headers is not None else None
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _header(request: Any, name: str) -> str | None:
    headers = getattr(request, "headers", None)
    value = headers.get(name) if headers is not None else None
    return None if value is None else str(value)


def _request_values(request: Any) -> dict[str, Any]:
    remote = getattr(request, "remote", None)
    return {
        "request_id": request.unique_id,
        "method": request.method,
        "path": f"{request.script_name}{request.path_info}",
        "remote": getattr(remote, "ip", None) or None,
    }


def _access_values(request: Any, response: Any, created: float) -> dict[str, Any]:
    started = getattr(response, "time", 0.0) or 0.0
    return {
        "status": _status(response),
        "bytes": _content_length(response),
        "duration_ms": round((created - started) * 1000.0, 3) if started else None,
        "user_agent": _header(request, "User-Agent"),
        "referer": _header(request, "Referer"),
    }


def add_request_fields(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Processor: the request's fields (and, for access lines, the response's).

    Values already in the line (passed by the caller) win.
    """
    record: logging.LogRecord = event_dict["_record"]
    request = getattr(record, "cherrypit_request", None)
    if request is not None:
        response = getattr(record, "cherrypit_response", None)
        values = _request_values(request)
        values.update(_access_values(request, response, record.created))
    else:
        request = current().request
        if request.app is None:
            # Outside a request the slot holds a blank request that belongs to no app.
            return event_dict
        values = _request_values(request)
    for key, value in values.items():
        event_dict.setdefault(key, value)
    return event_dict
