"""The formatter this plugin puts on the log managers' handlers, and its two renderers.

:class:`CherrypitFormatter` is a :class:`structlog.stdlib.ProcessorFormatter`: it takes
plain :mod:`logging` records (everything the log managers and applications write to
``cherrypy.error``/``cherrypy.access``) and records from the structlog loggers of
:mod:`~cherrypit_logging.loggers` alike, turns each into an event dict, adds the
request context and renders it in the format its log asks for:

* ``console``: ``[27/Nov/2026:10:00:00] CONTEXT message key=value …`` — CherryPy's
  error-log line with the extra fields after it (after the first line of a multi-line
  message); access lines are ``access_log_format`` exactly, so stock parsers read
  them, and gain ``request_id`` and ``duration_ms`` only with ``log.access_fields``.
* ``json``: one JSON object per line: ``timestamp`` (ISO 8601, UTC), ``level``,
  ``logger``, ``event``, ``context``, the request fields, then everything else;
  a traceback goes into ``exception``.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import time
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from cherrypit_logging import context, settings

__all__ = ["FORMATTER", "CherrypitFormatter", "formatter_factory", "render"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Fields with a fixed place in the output, not repeated among the free key=values.
_HEAD = ("timestamp", "level", "logger", "event", "context")
# Console access lines already show these through access_log_format.
_SHOWN_BY_ACCESS_LINE = frozenset(
    ("method", "path", "remote", "status", "bytes", "user_agent", "referer")
)
_BARE_VALUE = re.compile(r"[^\s\"'=\\]+")


def _from_record(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Foreign pre-chain: the parts a log manager attached to its record."""
    record: logging.LogRecord = event_dict["_record"]
    message = getattr(record, "cherrypit_message", None)
    if message is not None:
        # The record's text also holds the time and context; keep them apart.
        event_dict["event"] = message
        event_dict["context"] = getattr(record, "cherrypit_context", "")
    return event_dict


def _add_level_and_logger(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    record: logging.LogRecord = event_dict["_record"]
    event_dict["level"] = record.levelname.lower()
    event_dict.setdefault("logger", record.name)
    return event_dict


def _add_exception(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    if event_dict.get("exc_info"):
        event_dict = structlog.processors.format_exc_info(logger, method_name, event_dict)
    else:
        event_dict.pop("exc_info", None)
    stack = event_dict.pop("stack_info", None)
    if isinstance(stack, str):
        event_dict["stack"] = stack
    return event_dict


def _console_time(created: float) -> str:
    now = time.localtime(created)
    return (
        f"[{now.tm_mday:02d}/{_MONTHS[now.tm_mon - 1]}/{now.tm_year:04d}:"
        f"{now.tm_hour:02d}:{now.tm_min:02d}:{now.tm_sec:02d}]"
    )


def _iso_utc(created: float) -> str:
    moment = datetime.datetime.fromtimestamp(created, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _console_value(value: Any) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else str(value)
    if _BARE_VALUE.fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _render_console(record: logging.LogRecord, event_dict: EventDict) -> str:
    exception = event_dict.pop("exception", None)
    stack = event_dict.pop("stack", None)
    event = str(event_dict.get("event", ""))
    if context.is_access(record):
        if not settings.access_fields_for(record.name):
            return event
        head = event
        hidden: frozenset[str] = _SHOWN_BY_ACCESS_LINE
    else:
        label = event_dict.get("context")
        if label is None and event_dict.get("logger") != record.name:
            # A named structlog logger: its name stands where CherryPy puts the context.
            label = event_dict.get("logger")
        parts = (_console_time(record.created), str(label or ""), event)
        head = " ".join(part for part in parts if part)
        hidden = frozenset()
    pairs = [
        f"{key}={_console_value(value)}"
        for key, value in event_dict.items()
        if key not in _HEAD and key not in hidden and not key.startswith("_")
    ]
    # The fields go on the message's first line: the lines after it (headers, a
    # pretty-printed value) stay as they were written, and the fields stay findable.
    first, newline, rest = head.partition("\n")
    line = " ".join([first, *pairs]) + newline + rest
    for extra in (exception, stack):
        if extra:
            line = f"{line}\n{extra}"
    return line


def _render_json(record: logging.LogRecord, event_dict: EventDict) -> str:
    out: dict[str, Any] = {"timestamp": _iso_utc(record.created)}
    for key in _HEAD[1:]:
        if key in event_dict:
            out[key] = event_dict[key]
    for key in (*context.REQUEST_KEYS, *context.ACCESS_KEYS):
        if key in event_dict:
            out[key] = event_dict[key]
    exception = event_dict.pop("exception", None)
    for key, value in event_dict.items():
        if key not in out and not key.startswith("_"):
            out[key] = value
    if exception:
        out["exception"] = exception
    # default=str: a value json cannot encode is written as its text, never dropped;
    # ASCII-only output survives any console or file encoding.
    return json.dumps(out, default=str)


def render(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
    """The last processor: render in the format of the log that wrote the line."""
    record: logging.LogRecord = event_dict["_record"]
    if settings.format_for(record.name) == "json":
        return _render_json(record, event_dict)
    return _render_console(record, event_dict)


class CherrypitFormatter(structlog.stdlib.ProcessorFormatter):
    """A :class:`~structlog.stdlib.ProcessorFormatter` rendering cherrypit's log lines.

    The format (console or JSON) is chosen per line, so one formatter serves every
    handler and a ``log.format`` change applies to the next line.
    """

    def __init__(self) -> None:
        super().__init__(
            foreign_pre_chain=[_from_record],
            processors=[
                _add_level_and_logger,
                structlog.contextvars.merge_contextvars,
                context.add_request_fields,
                _add_exception,
                render,
            ],
        )


#: The formatter every handler of every log manager shares.
FORMATTER = CherrypitFormatter()


def formatter_factory(manager: Any, log: logging.Logger, kind: str) -> logging.Formatter:
    """``LogManager.formatter_factory`` while the plugin is set up."""
    return FORMATTER
