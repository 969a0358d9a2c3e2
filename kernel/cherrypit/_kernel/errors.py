"""Exceptions that steer the request cycle, and the default error page.

``HTTPError``, ``HTTPRedirect``, ``NotFound`` and ``InternalRedirect`` keep CherryPy's
names, arguments and outcomes; the page markup is cherrypit's own.  Anything taken from
the request and placed into a page is HTML-escaped, and control characters never reach
a header (see :meth:`HTTPRedirect.__init__`).
"""

from __future__ import annotations

import contextlib
import html
import json
import string
import sys
import traceback as _traceback
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from cherrypit._kernel import serving
from cherrypit._kernel.headers import header_elements
from cherrypit._kernel.httputil import valid_status
from cherrypit._kernel.tracebacks import ErrorReport
from cherrypit._kernel.version import VERSION

__all__ = [
    "CherryPyException",
    "ConfigError",
    "HTTPError",
    "HTTPRedirect",
    "InternalRedirect",
    "NotFound",
    "TimeoutError",
    "bare_error",
    "clean_headers",
    "format_exc",
    "get_error_page",
]


class CherryPyException(Exception):
    """Base class of the exceptions cherrypit raises on purpose."""


class ConfigError(CherryPyException, ValueError):
    """A config key or value is wrong; the message names the key."""


class TimeoutError(CherryPyException):
    """A lock or a response took longer than allowed."""


class InternalRedirect(CherryPyException):
    """Serve another path of the same application instead, inside this request.

    The path is resolved relative to the current ``path_info``; a query string may be
    given inside the path or as the second argument.  The original request stays
    reachable as ``request.prev``.
    """

    def __init__(self, path: str, query_string: str = "") -> None:
        # Raised by application code: the request is the one it is serving.
        request = serving.ambient().request
        self.request = request
        self.query_string = query_string
        if "?" in path:
            path, self.query_string = path.split("?", 1)
        self.path = urllib.parse.urljoin(request.path_info, path)
        super().__init__(self.path, self.query_string)


def _default_redirect_status() -> int:
    # HTTP/1.0 clients do not know 303; 302 is what they act on.
    return 303 if serving.ambient().request.protocol >= (1, 1) else 302


class _ClassProperty:
    """A read-only property that also answers on the class (``HTTPRedirect.default_status``)."""

    def __init__(self, getter: Callable[[], int]) -> None:
        self.getter = getter
        self.__doc__ = getter.__doc__

    def __get__(self, obj: object, objtype: type | None = None) -> int:
        return self.getter()


_REDIRECT_MESSAGES = {
    300: "This resource can be found at ",
    301: "This resource has permanently moved to ",
    302: "This resource resides temporarily at ",
    303: "This resource can be found at ",
    307: "This resource has moved temporarily to ",
    308: "This resource has been moved to ",
}

_CONTROL_CHARS = "".join(map(chr, [*range(32), 127]))
_STRIP_CONTROL = str.maketrans("", "", _CONTROL_CHARS)


class HTTPRedirect(CherryPyException):
    """Answer with a 3xx redirect to one or more URLs.

    Relative URLs are joined to the current URL (``cherrypit.url()``).  The status
    defaults to 303 (302 for HTTP/1.0 clients).  Control characters are removed from
    the targets so they can never split a header.
    """

    encoding = "utf-8"
    #: The absolute target URLs (``None`` on the class).
    urls: list[str] = None  # type: ignore[assignment]
    #: The status of a redirect made without one: 303, or 302 for HTTP/1.0 clients.
    default_status = _ClassProperty(_default_redirect_status)

    def __init__(
        self, urls: str | Iterable[str], status: int | None = None, encoding: str | None = None
    ) -> None:
        from cherrypit._kernel.urls import url as current_url

        base = current_url()
        if isinstance(urls, bytes):
            urls = urls.decode(encoding or self.encoding)
        if isinstance(urls, str):
            urls = [urls]
        self.urls = [urllib.parse.urljoin(base, str(u).translate(_STRIP_CONTROL)) for u in urls]
        code = _default_redirect_status() if status is None else int(status)
        if not 300 <= code <= 399:
            raise ValueError("status must be between 300 and 399.")
        self.code = code
        super().__init__(self.urls, code)

    @property
    def status(self) -> int:
        """The integer redirect status (the same as :attr:`code`)."""
        return self.code

    @status.setter
    def status(self, value: int) -> None:
        self.code = value

    def set_response(self) -> None:
        """Write this redirect into the current response."""
        slot = serving.ambient()
        self._answer(slot.request, slot.response)

    def _answer(self, request: Any, response: Any) -> None:
        """Write this redirect into ``response`` (the kernel's explicit form)."""
        status = self.status
        response.status = status
        if status in _REDIRECT_MESSAGES:
            response.headers["Content-Type"] = "text/html;charset=utf-8"
            response.headers["Location"] = self.urls[0]
            prefix = _REDIRECT_MESSAGES[status]
            lines = [
                f"{prefix}<a href={_quoteattr(u)}>{html.escape(u, quote=False)}</a>."
                for u in self.urls
            ]
            response.body = "<br />\n".join(lines).encode("utf-8")
            response.headers.pop("Content-Length", None)
        elif status == 304:
            for key in (
                "Allow",
                "Content-Encoding",
                "Content-Language",
                "Content-Length",
                "Content-Location",
                "Content-MD5",
                "Content-Range",
                "Content-Type",
                "Expires",
                "Last-Modified",
            ):
                response.headers.pop(key, None)
            response.body = None
        elif status == 305:
            response.headers["Location"] = self.urls[0]
            response.body = None
        else:
            raise ValueError(f"The {status} status code is unknown.")

    def __call__(self) -> None:
        """Allow ``raise HTTPRedirect(...)`` and ``HTTPRedirect(...)()`` alike."""
        raise self


def _quoteattr(value: str) -> str:
    # Same quoting rule as xml.sax.saxutils.quoteattr, kept local to avoid the import.
    value = html.escape(value, quote=False).replace("\n", "&#10;").replace("\r", "&#13;")
    value = value.replace("\t", "&#9;")
    if '"' in value:
        if "'" in value:
            return '"{}"'.format(value.replace('"', "&quot;"))
        return f"'{value}'"
    return f'"{value}"'


# CherryPy 18's list.  "Allow" must survive: a 405 carries it (MethodDispatcher).
_STRIP_ON_ERROR = (
    "Accept-Ranges",
    "Age",
    "ETag",
    "Location",
    "Retry-After",
    "Vary",
    "Content-Encoding",
    "Content-Length",
    "Expires",
    "Content-Location",
    "Content-MD5",
    "Last-Modified",
)


# HeaderMap keeps keys title-cased ("Content-Md5"): pop those spellings directly.
_STRIP_ON_ERROR_TITLED = tuple(key.title() for key in _STRIP_ON_ERROR)


def clean_headers(status: int, response: Any = None) -> None:
    """Drop headers that described the original content, not the error page.

    ``response`` defaults to the current one (CherryPy's signature takes none).
    """
    if response is None:
        response = serving.ambient().response
    headers = response.headers
    pop = dict.pop
    for key in _STRIP_ON_ERROR_TITLED:
        pop(headers, key, None)
    if status != 416:
        pop(headers, "Content-Range", None)


class HTTPError(CherryPyException):
    """Answer with an HTTP error status (4xx/5xx) and an error page.

    ``status`` is an int or a string such as ``"418 Short and Stout"``; ``message``
    replaces the default description on the page (it is HTML-escaped).
    """

    # Set by each instance; ``None`` on the class, as CherryPy documents them.
    #: The status as given (an int or ``"code reason"``).
    status: int | str = None  # type: ignore[assignment]
    #: The integer status code.
    code: int = None  # type: ignore[assignment]
    #: The reason phrase.
    reason: str = None  # type: ignore[assignment]

    def __init__(self, status: int | str = 500, message: str | None = None) -> None:
        self.status = status
        try:
            self.code, self.reason, default = valid_status(status)
        except ValueError as exc:
            raise self.__class__(500, exc.args[0]) from None
        if not 400 <= self.code <= 599:
            raise ValueError("status must be between 400 and 599.")
        self._message = message or default
        super().__init__(status, message)

    #: A development-only hint for the page (``None``: none), e.g. a missing ``@expose``.
    hint: str | None = None

    def set_response(self) -> None:
        """Write this error (status, headers and page) into the current response.

        With ``request.show_tracebacks`` on, the page shows the traceback of the
        exception being handled, unless that exception is an ``HTTPError`` or
        ``HTTPRedirect``: those were raised on purpose, and their traceback would only
        show how the framework delivered them.
        """
        slot = serving.ambient()
        self._answer(slot.request, slot.response)

    def _answer(self, request: Any, response: Any) -> None:
        """Write this error into ``response`` for ``request`` (the kernel's explicit form)."""
        clean_headers(self.code, response)
        response.status = self.status
        report = hint = None
        if request.show_tracebacks:
            hint = self.hint
            handled = sys.exc_info()[1]
            if handled is not None and not isinstance(handled, (HTTPError, HTTPRedirect)):
                report = ErrorReport(handled, request.request_line)
        response.body = _render_error_page(
            self.status, {"message": self._message}, report, hint, request, response
        )
        _pad_short_error_body(self.code, response)

    def __call__(self) -> None:
        """Raise this error: lets an instance stand in for a page handler."""
        raise self

    def get_error_page(self, *args: Any, **kwargs: Any) -> bytes:
        return get_error_page(*args, **kwargs)

    @classmethod
    @contextlib.contextmanager
    def handle(
        cls,
        exception: type[BaseException] | tuple[type[BaseException], ...],
        status: int | str = 500,
        message: str = "",
    ) -> Iterator[None]:
        """Turn ``exception`` raised inside the ``with`` block into this HTTP error."""
        try:
            yield
        except exception as exc:
            raise cls(status, message or str(exc)) from exc


class NotFound(HTTPError):
    """404 for ``path`` (default: the current request's full path)."""

    def __init__(self, path: str | None = None) -> None:
        if path is None:
            request = serving.ambient().request
            path = request.script_name + request.path_info
        self.args = (path,)
        super().__init__(404, f"The path '{path}' was not found.")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{status}</title>
  <style>
    body {{ font-family: sans-serif; margin: 2em; }}
    #traceback {{ color: #a00; white-space: pre-wrap; }}
    #traceback .error {{ font-size: larger; }}
    #traceback .request, #traceback details {{ color: #555; }}
    #traceback summary {{ cursor: pointer; margin-top: 1em; }}
    #traceback .hint {{ color: #333; font-family: sans-serif; }}
    footer {{ margin-top: 2em; border-top: 1px solid #888; font-size: small; }}
  </style>
</head>
<body>
  <h2>{status}</h2>
  <p>{message}</p>
  <pre id="traceback">{traceback}</pre>
  <footer>cherrypit {version}</footer>
</body>
</html>
"""


class _PageTemplate:
    """A ``str.format`` template split once into literal text and field names.

    Rendering joins the pieces instead of parsing the template again: the default
    error page is rendered on every 404, and its style sheet's escaped braces made
    ``format`` five times slower than this.
    """

    __slots__ = ("fields", "literals")

    def __init__(self, template: str) -> None:
        literals = [""]
        fields = []
        for literal, field, _spec, _conversion in string.Formatter().parse(template):
            literals[-1] += literal
            if field is not None:
                fields.append(field)
                literals.append("")
        self.literals = literals
        self.fields = fields

    def render(self, values: Mapping[str, str]) -> str:
        literals = self.literals
        out = [literals[0]]
        for field, literal in zip(self.fields, literals[1:], strict=True):
            out.append(values[field])
            out.append(literal)
        return "".join(out)


_DEFAULT_PAGE = _PageTemplate(_PAGE)


def _percent_template(template: _PageTemplate) -> str:
    """``template`` as a ``%(field)s`` template (literal ``%`` doubled)."""
    pieces = [template.literals[0].replace("%", "%%")]
    for field, literal in zip(template.fields, template.literals[1:], strict=True):
        pieces.append(f"%({field})s")
        pieces.append(literal.replace("%", "%%"))
    return "".join(pieces)


#: The default page as a ``%``-template, CherryPy's form: ``cherrypy._cperror`` exposes
#: it as ``_HTTPErrorTemplate``, which applications replace to restyle every error page.
HTTP_ERROR_TEMPLATE = _percent_template(_DEFAULT_PAGE)


def _replaced_template() -> str | None:
    """``cherrypy._cperror._HTTPErrorTemplate`` when an application replaced it."""
    module = sys.modules.get("cherrypit._cperror")
    template = getattr(module, "_HTTPErrorTemplate", HTTP_ERROR_TEMPLATE)
    if template is HTTP_ERROR_TEMPLATE or not isinstance(template, str):
        return None
    return template


# Some browsers replace short error bodies by their own "friendly" page; padding the
# body above these sizes keeps the application's message visible.
_FRIENDLY_ERROR_SIZES = {
    400: 512,
    403: 256,
    404: 512,
    405: 256,
    406: 512,
    408: 512,
    409: 512,
    410: 256,
    500: 512,
    501: 512,
    505: 512,
}


def _pad_short_error_body(code: int, response: Any) -> None:
    size = _FRIENDLY_ERROR_SIZES.get(code)
    if not size:
        return
    if not str(response.headers.get("Content-Type", "")).startswith("text/html"):
        return  # only browsers showing HTML pages need the padding
    content = response.collapse_body()
    if content and len(content) <= size:
        content += b" " * (size + 1 - len(content))
        response.body = content
        response.headers["Content-Length"] = str(len(content))


def get_error_page(status: int | str, **kwargs: Any) -> bytes:
    """Render the error page for ``status``, honouring ``error_page.*`` config.

    Keyword arguments: ``message``, ``traceback``, ``version``.  The values are
    HTML-escaped before they reach a template or an error-page callable.
    """
    slot = serving.ambient()
    return _render_error_page(status, kwargs, None, None, slot.request, slot.response)


def _render_error_page(
    status: int | str,
    fields: dict[str, Any],
    report: ErrorReport | None,
    hint: str | None,
    request: Any,
    response: Any,
) -> bytes:
    """The page for ``status`` from ``fields``, plus development details.

    ``report`` is the exception being answered: its application frames are the
    ``traceback`` field of custom pages and JSON errors, and the default page shows
    it in full (framework frames folded).  ``hint`` is a sentence for the developer.
    """
    code, reason, default_message = valid_status(status)
    values: dict[str, str] = {
        "status": f"{code} {reason}",
        "message": default_message,
        "traceback": "",
        "version": VERSION,
    }
    for key, value in fields.items():
        if value is not None:
            values[key] = str(value)
    if report is not None:
        values["traceback"] = report.text()

    pages: dict[Any, Any] = request.error_page
    custom = pages.get(code) or pages.get("default")
    if not custom and request.negotiate_errors and _prefers_json(request):
        return _json_error(response, code, values, report, hint)
    for key, value in list(values.items()):
        values[key] = html.escape(value, quote=False)
    if custom:
        try:
            if callable(custom):
                # A page callable owns the whole answer, headers included.
                result = custom(**values)
                if isinstance(result, bytes):
                    return result
                if isinstance(result, str):
                    return result.encode("utf-8")
                return b"".join(
                    c if isinstance(c, bytes) else str(c).encode("utf-8") for c in result
                )
            # newline="": the file's own line endings are sent as they are.
            with open(custom, encoding="utf-8", newline="") as template:
                page = template.read() % values
            response.headers["Content-Type"] = "text/html;charset=utf-8"
            return page.encode("utf-8")
        except Exception:
            failure = _format_one_line(sys.exc_info()[1])
            from cherrypit._kernel import site

            site.log(f"The custom error page for {code} failed: {failure}", "HTTP", 40, True)
            values["message"] += (
                "<br />In addition, the custom error page failed:\n<br />"
                + html.escape(failure, quote=False)
            )
    response.headers["Content-Type"] = "text/html;charset=utf-8"
    replaced = _replaced_template()
    if replaced is not None:
        try:
            # As in CherryPy: the plain (escaped) traceback, no development extras.
            return (replaced % values).encode("utf-8")
        except Exception:
            failure = _format_one_line(sys.exc_info()[1])
            from cherrypit._kernel import site

            site.log(f"_cperror._HTTPErrorTemplate failed: {failure}", "HTTP", 40, True)
    if report is not None:
        values["traceback"] = report.html()
    if hint:
        values["traceback"] += f'<span class="hint">{html.escape(hint, quote=False)}</span>'
    return _DEFAULT_PAGE.render(values).encode("utf-8")


def answer(exc: HTTPError | HTTPRedirect, request: Any, response: Any) -> None:
    """Write ``exc`` into ``response``: the cycle's way of calling ``set_response``.

    A subclass with its own ``set_response`` (written against CherryPy's no-argument
    form) is called that way; the built-in ones get the pair explicitly.
    """
    if type(exc).set_response in _BUILTIN_SET_RESPONSES:
        exc._answer(request, response)
    else:
        exc.set_response()


def _prefers_json(request: Any) -> bool:
    """Whether the client's ``Accept`` ranks JSON above HTML (wildcards count as HTML)."""
    accept = request.headers.get("Accept")
    if not accept or "json" not in accept:
        return False
    try:
        elements = header_elements("Accept", accept)
    except CherryPyException:
        return False
    json_q = html_q = 0.0
    for element in elements:
        media = element.value.lower()
        q = getattr(element, "qvalue", 1.0)
        if media == "application/json" or media.endswith("+json"):
            json_q = max(json_q, q)
        elif media in ("text/html", "application/xhtml+xml", "text/*", "*/*"):
            html_q = max(html_q, q)
    return json_q > html_q


def _json_error(
    response: Any,
    code: int,
    values: dict[str, str],
    report: ErrorReport | None = None,
    hint: str | None = None,
) -> bytes:
    """The error as a JSON document, for API clients (``request.negotiate_errors``)."""
    document: dict[str, Any] = {
        "status": values["status"],
        "code": code,
        "message": values["message"],
    }
    if values.get("traceback"):
        document["traceback"] = values["traceback"]
    if report is not None and report.request_line:
        document["request"] = report.request_line
    if hint:
        document["hint"] = hint
    response.headers["Content-Type"] = "application/json"
    return json.dumps(document).encode("utf-8")


def _format_one_line(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    return "".join(_traceback.format_exception_only(type(exc), exc)).strip()


def format_exc(exc: BaseException | None = None) -> str:
    """The current exception's traceback as a string ('' outside an ``except``)."""
    if exc is None:
        exc = sys.exc_info()[1]
    if exc is None:
        return ""
    return "".join(_traceback.format_exception(type(exc), exc, exc.__traceback__))


def bare_error(
    extrabody: str | bytes | None = None,
) -> tuple[str, list[tuple[str, str]], list[bytes]]:
    """A minimal 500 answer (status, headers, body) for when the cycle itself failed."""
    body = b"Unrecoverable error in the server."
    if extrabody is not None:
        if isinstance(extrabody, str):
            extrabody = extrabody.encode("utf-8")
        body += b"\n" + extrabody
    return (
        "500 Internal Server Error",
        [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
        [body],
    )


_BUILTIN_SET_RESPONSES = frozenset({HTTPError.set_response, HTTPRedirect.set_response})
