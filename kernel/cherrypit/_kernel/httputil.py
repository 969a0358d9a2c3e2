"""HTTP helpers: status lines, dates, URLs, ranges, query strings and hosts.

This is the behaviour of CherryPy 18's ``cherrypy.lib.httputil`` (reachable under that
path as :mod:`cherrypit.lib.httputil`), implemented from the standard library only.
Header maps and elements live in :mod:`cherrypit._kernel.headers` and are re-exported
here, so this module still offers every name CherryPy's does.  Where cherrypit parts
from CherryPy, the function's docstring says so; each such difference either follows
the RFC where CherryPy misbehaves or closes a security hole.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_plus

from cherrypit._kernel.headers import _DELETE_CONTROLS, _Q_SEPARATOR
from cherrypit._kernel.headers import AcceptElement as AcceptElement
from cherrypit._kernel.headers import HeaderElement as HeaderElement
from cherrypit._kernel.headers import HeaderMap as HeaderMap
from cherrypit._kernel.headers import decode_TEXT as decode_TEXT
from cherrypit._kernel.headers import decode_TEXT_maybe as decode_TEXT_maybe
from cherrypit._kernel.headers import header_elements as header_elements

__all__ = [
    "RE_HEADER_SPLIT",
    "AcceptElement",
    "CaseInsensitiveDict",
    "HTTPDate",
    "HeaderElement",
    "HeaderMap",
    "Host",
    "SanitizedHost",
    "decode_TEXT",
    "decode_TEXT_maybe",
    "get_ranges",
    "header_elements",
    "header_translate_deletechars",
    "header_translate_table",
    "image_map_pattern",
    "parse_http_date",
    "parse_query_string",
    "protocol_from_http",
    "q_separator",
    "response_codes",
    "urljoin",
    "urljoin_bytes",
    "valid_status",
]


#: CherryPy's base of ``HeaderMap``: cherrypit has one title-cased dict, not two.
CaseInsensitiveDict = HeaderMap
#: A comma outside double quotes: where a list-valued header splits into elements.
RE_HEADER_SPLIT = re.compile(r',(?=(?:[^"]*"[^"]*")*[^"]*$)')
#: ``; q=`` between a media range and its quality, in ``Accept``-like headers.
q_separator = _Q_SEPARATOR
#: ``bytes.translate`` arguments that strip control characters from header output.
header_translate_table = None
header_translate_deletechars = _DELETE_CONTROLS


# --------------------------------------------------------------------------- statuses

#: ``{code: (reason phrase, one-line description)}`` for every status the standard
#: library knows.  :func:`valid_status` and the default error page read it.
response_codes: dict[int, tuple[str, str]] = {
    status.value: (status.phrase, status.description) for status in HTTPStatus
}
# For these two, error pages show RFC 2616's wording (clients and tests match on it).
response_codes[500] = (
    "Internal Server Error",
    "The server encountered an unexpected condition which prevented it from fulfilling "
    "the request.",
)
response_codes[503] = (
    "Service Unavailable",
    "The server is currently unable to handle the request due to a temporary "
    "overloading or maintenance of the server.",
)


#: valid_status results by status (bounded: applications may make up reasons).
_STATUS_CACHE: dict[Any, tuple[tuple[int, str, str], Any]] = {}


def valid_status(status: int | str | None) -> tuple[int, str, str]:
    """Split a response status into ``(code, reason, message)``.

    :param status: ``None`` or ``''`` (meaning 200), an int or :class:`http.HTTPStatus`,
        or a string holding a code and optionally a reason (``'404'``,
        ``'404 Gone Fishing'``).
    :returns: the numeric code, the reason phrase (the one given, else the standard
        one, else ``''``) and a one-line description of the code (``''`` if unknown).
    :raises ValueError: if the code is not numeric or lies outside 100-599.
    """
    try:
        split, entry = _STATUS_CACHE[status]
        # response_codes may be edited at run time (CherryPy's apps add reasons).
        if response_codes.get(split[0]) is entry:
            return split
    except (KeyError, TypeError):  # TypeError: an unhashable status, checked below
        pass
    split = _split_status(status)
    if len(_STATUS_CACHE) < 512 and isinstance(status, (int, str)):
        _STATUS_CACHE[status] = (split, response_codes.get(split[0]))
    return split


def _split_status(status: Any) -> tuple[int, str, str]:
    if not status:
        status = 200
    reason: str | None = None
    raw_code: Any = status
    if isinstance(status, str):
        raw_code, _, given = status.partition(" ")
        reason = given.strip() or None
    try:
        code = int(raw_code)
    except (TypeError, ValueError):
        raise ValueError(
            f"Illegal response status from server ({raw_code!r} is non-numeric)."
        ) from None
    if not 100 <= code <= 599:
        raise ValueError(f"Illegal response status from server ({code!r} is out of range).")
    default_reason, message = response_codes.get(code, ("", ""))
    return code, default_reason if reason is None else reason, message


# ------------------------------------------------------------------------ small helpers


def HTTPDate(timeval: float | None = None) -> str:
    """Format a POSIX timestamp (default: now) as an HTTP date (RFC 7231 IMF-fixdate).

    :param timeval: seconds since the epoch, or ``None`` for the current time.
    :returns: for instance ``'Thu, 01 Jan 1970 00:00:00 GMT'``.
    """
    if timeval is None:
        timeval = time.time()
    # The text changes once a second: Date, Expires and Last-Modified headers of
    # busy servers repeat the same few seconds.
    second = math.floor(timeval)
    text = _HTTP_DATES.get(second)
    if text is None:
        text = email.utils.formatdate(second, usegmt=True)
        if len(_HTTP_DATES) >= 64:
            _HTTP_DATES.clear()
        _HTTP_DATES[second] = text
    return text


_HTTP_DATES: dict[int, str] = {}


def parse_http_date(value: str | None) -> float | None:
    """Read an HTTP date in any of the three formats RFC 7231 allows.

    :param value: a header value such as an ``If-Modified-Since`` date.
    :returns: seconds since the epoch, or ``None`` if the value is missing or unreadable.
    """
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_tz(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    try:
        return float(email.utils.mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


def urljoin(*atoms: str) -> str:
    """Join URL path pieces with single slashes, ignoring empty pieces.

    Joins ``SCRIPT_NAME`` and ``PATH_INFO`` correctly even when either is empty; the
    result is never empty (``'/'`` at least).
    """
    url = "/".join([atom for atom in atoms if atom])
    while "//" in url:
        url = url.replace("//", "/")
    return url or "/"


def urljoin_bytes(*atoms: bytes) -> bytes:
    """Like :func:`urljoin`, for byte strings."""
    url = b"/".join([atom for atom in atoms if atom])
    while b"//" in url:
        url = url.replace(b"//", b"/")
    return url or b"/"


def protocol_from_http(protocol_str: str) -> tuple[int, int]:
    """Turn ``'HTTP/1.1'`` into ``(1, 1)``.

    :raises ValueError: if the version is not of the form ``major.minor``.
    """
    major, _, minor = protocol_str[5:].partition(".")
    return int(major), int(minor)


# ---------------------------------------------------------------------------- ranges


def get_ranges(headervalue: str | None, content_length: int) -> list[tuple[int, int]] | None:
    """Read a ``Range`` header into slice bounds.

    ``bytes=3-6`` becomes ``[(3, 7)]``: each pair is ``(start, stop)`` with ``stop``
    exclusive, ready for ``body[start:stop]``.

    :param headervalue: the ``Range`` header value, or ``None`` when absent.
    :param content_length: the full length of the representation.
    :returns: ``None`` when the header must be ignored (absent, not a byte range, or
        syntactically invalid: serve the whole body with 200); ``[]`` when every range
        is unsatisfiable (answer 416); otherwise the satisfiable ranges in header order.

    Differences from CherryPy, all per RFC 7233: a last-byte position past the end is
    clamped to the end (CherryPy returned a ``stop`` beyond ``content_length``); a
    malformed header or a unit other than ``bytes`` is ignored (CherryPy raised
    ``ValueError`` or read it as bytes), and so is a header holding a spec whose last
    position is before its first even when that first position is past the end
    (CherryPy skipped it); a zero-length suffix (``bytes=-0``) and any range of an
    empty representation are unsatisfiable.
    """
    if not headervalue:
        return None
    unit, sep, specs = headervalue.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    result: list[tuple[int, int]] = []
    for spec in specs.split(","):
        first, dash, last = spec.strip().partition("-")
        if not dash:
            return None
        first, last = first.strip(), last.strip()
        if first:
            if not first.isdigit() or (last and not last.isdigit()):
                return None
            start = int(first)
            end = int(last) if last else content_length - 1
            if last and end < start:
                # An invalid spec voids the whole header (RFC 7233 section 3.1).
                return None
            if start >= content_length:
                continue
            result.append((start, min(end, content_length - 1) + 1))
        else:
            if not last.isdigit():
                return None
            suffix = int(last)
            if suffix == 0 or content_length == 0:
                continue
            result.append((max(content_length - suffix, 0), content_length))
    return result


# --------------------------------------------------------------------- query strings

# Bounded: Python refuses int() of very long digit strings (and no image is that big).
_IMAGE_MAP = re.compile(r"([0-9]{1,9}),([0-9]{1,9})")
#: The ``x,y`` query string a browser sends for a click on a server-side image map.
image_map_pattern = _IMAGE_MAP


def parse_query_string(
    query_string: str,
    keep_blank_values: bool = True,
    encoding: str = "utf-8",
    *,
    separators: str = "&",
) -> dict[str, Any]:
    """Parse a URL query string into request parameters.

    ``+`` means a space; a name given once maps to a string and a repeated name to a
    list of strings; ``a`` and ``a=`` give ``''`` unless ``keep_blank_values`` is
    false.  A server-side image-map query (``'12,34'``) gives ``{'x': 12, 'y': 34}``.

    :param separators: the characters that separate pairs.  CherryPy 18 splits at
        both ``&`` and ``;``; cherrypit splits at ``&`` only by default, as the WHATWG
        URL standard and Python since 3.9.2 do, because a front end that disagrees
        about ``;`` can be fooled into caching or passing a parameter it did not see
        (CVE-2021-23336).  Pass ``'&;'`` for CherryPy's behaviour.
    :raises UnicodeDecodeError: if a percent-escape is not valid in ``encoding``
        (CherryPy then answers 404).
    """
    image_map = _IMAGE_MAP.fullmatch(query_string)
    if image_map:
        return {"x": int(image_map.group(1)), "y": int(image_map.group(2))}
    if separators == "&" or not any(sep in query_string for sep in separators[1:]):
        pairs = query_string.split(separators[0])
    else:
        pairs = re.split("[" + re.escape(separators) + "]", query_string)
    params: dict[str, Any] = {}
    for pair in pairs:
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        if not raw_value and not keep_blank_values:
            continue
        if "%" in pair or "+" in pair:
            name = unquote_plus(raw_name, encoding, errors="strict")
            value = unquote_plus(raw_value, encoding, errors="strict")
        else:
            name, value = raw_name, raw_value
        existing = params.get(name)
        if existing is None:
            params[name] = value
        elif isinstance(existing, list):
            existing.append(value)
        else:
            params[name] = [existing, value]
    return params


# ------------------------------------------------------------------------------ hosts


class Host:
    """A network endpoint: the client or the server side of a connection.

    :param ip: the address.
    :param port: the port number.
    :param name: the host name; the address when no name is known (no DNS lookup is
        ever made).
    """

    __slots__ = ("ip", "name", "port")

    def __init__(self, ip: str, port: int, name: str | None = None) -> None:
        self.ip = ip
        self.port = port
        self.name = ip if name is None else name

    def __repr__(self) -> str:
        return f"httputil.Host({self.ip!r}, {self.port!r}, {self.name!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Host):
            return NotImplemented
        return (self.ip, self.port, self.name) == (other.ip, other.port, other.name)

    def __hash__(self) -> int:
        return hash((self.ip, self.port, self.name))


_HOST_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


class SanitizedHost(str):
    """A ``Host`` header value with control characters removed; ``raw`` keeps the input.

    As in CherryPy, the constructor hands back the input string itself when there was
    nothing to remove, so only altered values are ``SanitizedHost`` objects.  CherryPy
    removed only CR and LF; cherrypit removes every control character.
    """

    raw: str
    #: The characters removed.
    dangerous = _HOST_CONTROLS

    def __new__(cls, raw: str) -> SanitizedHost:
        clean = cls.dangerous.sub("", raw)
        if clean == raw:
            return raw  # type: ignore[return-value]
        instance = super().__new__(cls, clean)
        instance.raw = raw
        return instance
