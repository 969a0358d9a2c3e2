"""Request statistics: ``tools.cpstats``, ``logging.statistics`` and :class:`StatsPage`.

``logging.statistics`` is a plain nested dict shared by every library that wants to
publish counters (CherryPy's convention): namespaces of named values, where a value
may be a function of its namespace (computed when reported, see
:func:`extrapolate_statistics`), a dict of records or a list of records.
``tools.cpstats`` keeps the ``"CherryPy Applications"`` namespace: request counts,
bytes read and written, times, the requests in progress, slow requests and optional
per-URI-set timings.  :class:`StatsPage` shows it all as HTML (``index``) or JSON
(``data``).

Differences from CherryPy: the HTML page escapes every value it shows, its
``pause``/``resume`` actions really are POST-only (CherryPy's ``cp_config`` there
had no effect), and a statistics function that fails reports None instead of
failing the whole page.
"""

from __future__ import annotations

import html
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from cherrypit import VERSION, HTTPRedirect, Tool, expose, log
from cherrypit.plugin import Attachment, StashKey, current

__all__ = [
    "ByteCountWrapper",
    "StatsPage",
    "StatsTool",
    "appstats",
    "extrapolate_statistics",
    "iso_format",
    "locale_date",
    "statistics",
]

if not hasattr(logging, "statistics"):
    logging.statistics = {}  # type: ignore[attr-defined]
#: ``logging.statistics``: the shared statistics dict.
statistics: dict[str, Any] = logging.statistics  # type: ignore[attr-defined]


def extrapolate_statistics(scope: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``scope`` with every function value replaced by ``f(scope)``.

    A function that fails gives None (CherryPy let the error through, so one broken
    counter, such as a stopped server's rate, took the whole report down).
    """
    out: dict[str, Any] = {}
    for key, value in scope.copy().items():
        if isinstance(value, dict):
            value = extrapolate_statistics(value)
        elif isinstance(value, (list, tuple)):
            value = [extrapolate_statistics(record) for record in value]
        elif callable(value):
            try:
                value = value(scope)
            except Exception:
                value = None
        out[key] = value
    return out


def _per_request(total: str) -> Callable[[dict[str, Any]], float]:
    def compute(s: dict[str, Any]) -> float:
        return float(s[total]) / s["Total Requests"] if s["Total Requests"] else 0.0

    return compute


def _per_second(total: str) -> Callable[[dict[str, Any]], float]:
    def compute(s: dict[str, Any]) -> float:
        uptime = s["Uptime"](s)
        return float(s[total]) / uptime if uptime else 0.0

    return compute


appstats: dict[str, Any] = statistics.setdefault("CherryPy Applications", {})
appstats.update(
    {
        "Enabled": True,
        "Bytes Read/Request": _per_request("Total Bytes Read"),
        "Bytes Read/Second": _per_second("Total Bytes Read"),
        "Bytes Written/Request": _per_request("Total Bytes Written"),
        "Bytes Written/Second": _per_second("Total Bytes Written"),
        "Current Time": lambda s: time.time(),
        "Current Requests": 0,
        "Requests/Second": _per_second("Total Requests"),
        "Server Version": VERSION,
        "Start Time": time.time(),
        "Total Bytes Read": 0,
        "Total Bytes Written": 0,
        "Total Requests": 0,
        "Total Time": 0,
        "Uptime": lambda s: time.time() - s["Start Time"],
        "Requests": {},
    }
)
_lock = threading.Lock()


def proc_time(s: dict[str, Any]) -> float:
    """Seconds since the record's ``Start Time`` (for requests still running)."""
    return time.time() - float(s["Start Time"])


def average_uriset_time(s: dict[str, Any]) -> float:
    """Mean processing time of a URI set."""
    return float(s["Sum"]) / s["Count"] if s["Count"] else 0.0


class ByteCountWrapper:
    """A request input stream that counts the bytes read through it."""

    def __init__(self, rfile: Any) -> None:
        self.rfile = rfile
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.rfile.read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data: bytes = self.rfile.readline(size)
        self.bytes_read += len(data)
        return data

    def readlines(self, sizehint: int = 0) -> list[bytes]:
        lines = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < sizehint <= total:
                break
        return lines

    def close(self) -> None:
        self.rfile.close()

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


#: The statistics record of the request being served (``record_start`` → ``record_stop``).
STATS_RECORD: StashKey[dict[str, Any]] = StashKey("cpstats record")


def record_start() -> None:
    """Count the request in and open its record (``on_start_resource``)."""
    if not appstats.get("Enabled", False):
        return
    request = current().request
    if not hasattr(request.rfile, "bytes_read") and request.rfile is not None:
        request.rfile = ByteCountWrapper(request.rfile)
        body = request.__dict__.get("body")
        if body is not None:
            body.fp = request.rfile
    remote = request.remote
    record = {
        "Bytes Read": None,
        "Bytes Written": None,
        # A function: tools.proxy may still change the client address.
        "Client": lambda s: f"{remote.ip}:{remote.port}",
        "End Time": None,
        "Processing Time": proc_time,
        "Request-Line": request.request_line,
        "Response Status": None,
        "Start Time": time.time(),
    }
    with _lock:
        appstats["Current Requests"] += 1
        appstats["Total Requests"] += 1
        appstats["Requests"][threading.get_ident()] = record
    request.stash[STATS_RECORD] = record


def record_stop(
    uriset: str | None = None,
    slow_queries: float = 1.0,
    slow_queries_count: int = 100,
    debug: bool = False,
    **kwargs: Any,
) -> None:
    """Close the request's record and update the totals (``on_end_request``).

    :param uriset: also keep min/max/mean times under this name.
    :param slow_queries: requests slower than this many seconds are kept in
        ``Slow Queries`` (0 to keep none) …
    :param slow_queries_count: … up to this many, oldest dropped first.
    """
    slot = current()
    request, response = slot.request, slot.response
    record = request.stash.pop(STATS_RECORD)
    if record is None:
        return
    read = getattr(request.rfile, "bytes_read", 0)
    record["Bytes Read"] = read
    if response.stream:
        written: Any = "chunked"
    else:
        written = int(response.headers.get("Content-Length", 0) or 0)
    record["Bytes Written"] = written
    record["Response Status"] = str(response.status)
    record["End Time"] = time.time()
    elapsed = record["End Time"] - record["Start Time"]
    record["Processing Time"] = elapsed
    with _lock:
        appstats["Total Bytes Read"] += read
        if isinstance(written, int):
            appstats["Total Bytes Written"] += written
        appstats["Total Time"] += elapsed
        appstats["Current Requests"] -= 1
        if uriset:
            sets = appstats.setdefault("URI Set Tracking", {})
            entry = sets.setdefault(
                uriset, {"Min": None, "Max": None, "Count": 0, "Sum": 0, "Avg": average_uriset_time}
            )
            if entry["Min"] is None or elapsed < entry["Min"]:
                entry["Min"] = elapsed
            if entry["Max"] is None or elapsed > entry["Max"]:
                entry["Max"] = elapsed
            entry["Count"] += 1
            entry["Sum"] += elapsed
        if slow_queries and elapsed > slow_queries:
            slow = appstats.setdefault("Slow Queries", [])
            slow.append(record.copy())
            del slow[:-slow_queries_count]
    if debug:
        log(f"Stats recorded: {record!r}", "TOOLS.CPSTATS")


record_stop.failsafe = True  # type: ignore[attr-defined]


class StatsTool(Tool):
    """``tools.cpstats``: opens a record at ``on_start_resource`` and closes it at
    ``on_end_request`` (settings: ``uriset``, ``slow_queries``,
    ``slow_queries_count``, ``debug``)."""

    def __init__(self) -> None:
        super().__init__("on_end_request", record_stop)

    def record_start(self) -> None:
        record_start()

    def record_stop(self, **kwargs: Any) -> None:
        record_stop(**kwargs)

    def hooks_for(self, settings: dict[str, Any], priority: int) -> list[Attachment]:
        return [
            Attachment("on_start_resource", record_start, 0),
            Attachment(self._point, record_stop, priority, settings),
        ]


# ------------------------------------------------------------------------ reporting


def locale_date(v: float) -> str:
    """``v`` (epoch seconds) in the locale's date format, UTC."""
    return time.strftime("%c", time.gmtime(v))


def iso_format(v: float) -> str:
    """``v`` (epoch seconds) as ``YYYY-MM-DD HH:MM:SS``, UTC."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(v))


def pause_resume(ns: str) -> Callable[[bool], str]:
    """A formatter showing Pause/Resume buttons for namespace ``ns``."""
    quoted = html.escape(ns, quote=True)

    def render(enabled: bool) -> str:
        pause = "" if enabled else ' disabled="disabled"'
        resume = ' disabled="disabled"' if enabled else ""
        return (
            f'<form action="pause" method="POST" style="display:inline">'
            f'<input type="hidden" name="namespace" value="{quoted}">'
            f'<input type="submit" value="Pause"{pause}></form> '
            f'<form action="resume" method="POST" style="display:inline">'
            f'<input type="hidden" name="namespace" value="{quoted}">'
            f'<input type="submit" value="Resume"{resume}></form>'
        )

    render.is_html = True  # type: ignore[attr-defined]
    return render


_MISSING = object()


def _format(value: Any, fmt: Any) -> str:
    """Apply a formatting entry, then escape (formatters marked ``is_html`` excepted)."""
    if callable(fmt):
        text = str(fmt(value))
        return text if getattr(fmt, "is_html", False) else html.escape(text)
    if fmt is not _MISSING and isinstance(fmt, str):
        try:
            return html.escape(fmt % value)
        except (TypeError, ValueError):
            pass
    return html.escape(str(value))


_STYLE = """th, td { padding: 0.25em 0.5em; border: 1px solid #666699; }
table { border-collapse: collapse; }
table.stats1 { width: 100%; }
table.stats1 th { font-weight: bold; text-align: right; background-color: #CCD5DD; }
table.stats2, h2 { margin-left: 50px; }
table.stats2 th { font-weight: bold; text-align: center; background-color: #CCD5DD; }"""


class StatsPage:
    """Mount it (``root.cpstats = StatsPage()``) to see ``logging.statistics``.

    ``formatting`` mirrors the statistics dict: per key a ``%`` format string, a
    callable, or None to hide the column.
    """

    formatting: dict[str, Any] = {
        "CherryPy Applications": {
            "Enabled": pause_resume("CherryPy Applications"),
            "Bytes Read/Request": "%.3f",
            "Bytes Read/Second": "%.3f",
            "Bytes Written/Request": "%.3f",
            "Bytes Written/Second": "%.3f",
            "Current Time": iso_format,
            "Requests/Second": "%.3f",
            "Start Time": iso_format,
            "Total Time": "%.3f",
            "Uptime": "%.3f",
            "Slow Queries": {"End Time": None, "Processing Time": "%.3f", "Start Time": iso_format},
            "URI Set Tracking": {"Avg": "%.3f", "Max": "%.3f", "Min": "%.3f", "Sum": "%.3f"},
            "Requests": {
                "Bytes Read": "%s",
                "Bytes Written": "%s",
                "End Time": None,
                "Processing Time": "%.3f",
                "Start Time": None,
            },
        },
        "CherryPy WSGIServer": {
            "Enabled": pause_resume("CherryPy WSGIServer"),
            "Connections/second": "%.3f",
            "Start time": iso_format,
        },
    }

    @expose
    def index(self) -> Iterator[str]:
        """The statistics as an HTML page."""
        yield (
            "<!DOCTYPE html>\n<html>\n<head>\n<title>Statistics</title>\n"
            f"<style>\n{_STYLE}\n</style>\n</head>\n<body>\n"
        )
        for title, scalars, collections in self.get_namespaces():
            safe_title = html.escape(title)
            yield f"<h1>{safe_title}</h1>\n<table class='stats1'>\n<tbody>\n"
            for start in range(0, len(scalars), 3):
                cells = "".join(
                    f"<th>{html.escape(key)}</th>"
                    f"<td id='{html.escape(title, quote=True)}-{html.escape(key, quote=True)}'>"
                    f"{value}</td>"
                    for key, value in scalars[start : start + 3]
                )
                cells += "<th></th><td></td>" * (3 - len(scalars[start : start + 3]))
                yield f"<tr>{cells}</tr>\n"
            yield "</tbody>\n</table>\n"
            for subtitle, headers, rows in collections:
                yield f"<h2>{html.escape(subtitle)}</h2>\n<table class='stats2'>\n<thead><tr>"
                yield "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
                yield "</tr></thead>\n<tbody>\n"
                for row in rows:
                    yield "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n"
                yield "</tbody>\n</table>\n"
        yield "</body>\n</html>\n"

    def get_namespaces(self) -> Iterator[tuple[str, list[Any], list[Any]]]:
        """Yield ``(title, scalars, collections)`` per namespace, values formatted."""
        data = extrapolate_statistics(statistics)
        for title, namespace in sorted(data.items()):
            scalars: list[tuple[str, str]] = []
            collections: list[tuple[str, list[str], list[list[str]]]] = []
            ns_format = self.formatting.get(title, {})
            for key, value in sorted(namespace.items()):
                fmt = ns_format.get(key, {})
                if isinstance(value, dict):
                    headers, rows = self.get_dict_collection(value, fmt)
                    collections.append((key, ["ID", *headers], rows))
                elif isinstance(value, (list, tuple)):
                    headers, rows = self.get_list_collection(value, fmt)
                    collections.append((key, headers, rows))
                else:
                    fmt = ns_format.get(key, _MISSING)
                    if fmt is None:
                        continue
                    scalars.append((key, _format(value, fmt)))
            yield title, scalars, collections

    @staticmethod
    def _columns(records: Any, formatting: dict[str, Any]) -> list[str]:
        headers: set[str] = set()
        for record in records:
            headers.update(k for k in record if formatting.get(k, _MISSING) is not None)
        return sorted(headers)

    def get_dict_collection(
        self, v: dict[Any, Any], formatting: dict[str, Any]
    ) -> tuple[list[str], list[list[str]]]:
        """Headers and formatted rows of a dict collection (such as ``Requests``)."""
        headers = self._columns(v.values(), formatting)
        rows = [
            [html.escape(str(ident))]
            + [_format(record.get(h, ""), formatting.get(h, _MISSING)) for h in headers]
            for ident, record in sorted(v.items(), key=lambda item: str(item[0]))
        ]
        return headers, rows

    def get_list_collection(
        self, v: list[Any] | tuple[Any, ...], formatting: dict[str, Any]
    ) -> tuple[list[str], list[list[str]]]:
        """Headers and formatted rows of a list collection (such as ``Slow Queries``)."""
        headers = self._columns(v, formatting)
        rows = [
            [_format(record.get(h, ""), formatting.get(h, _MISSING)) for h in headers]
            for record in v
        ]
        return headers, rows

    @expose
    def data(self) -> bytes:
        """The statistics as JSON (``application/json``)."""
        current().response.headers["Content-Type"] = "application/json"
        return json.dumps(
            extrapolate_statistics(statistics), sort_keys=True, indent=4, default=str
        ).encode("utf-8")

    @expose
    def pause(self, namespace: str) -> None:
        """Stop collecting ``namespace`` (POST)."""
        statistics.get(namespace, {})["Enabled"] = False
        raise HTTPRedirect("./")

    pause._cp_config = {  # type: ignore[attr-defined]
        "tools.allow.on": True,
        "tools.allow.methods": ["POST"],
    }

    @expose
    def resume(self, namespace: str) -> None:
        """Start collecting ``namespace`` again (POST)."""
        statistics.get(namespace, {})["Enabled"] = True
        raise HTTPRedirect("./")

    resume._cp_config = {  # type: ignore[attr-defined]
        "tools.allow.on": True,
        "tools.allow.methods": ["POST"],
    }
