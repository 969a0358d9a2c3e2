"""The kernel's log manager: CherryPy's error and access logs on stdlib :mod:`logging`.

``cherrypit.log`` and every application's ``app.log`` are :class:`LogManager` objects.
They write to the loggers ``cherrypy.error[.<appid>]`` and ``cherrypy.access[.<appid>]``
that CherryPy applications already address, and manage the handlers behind the config
keys ``log.screen``, ``log.error_file``, ``log.access_file``, ``log.wsgi`` and
``log.fallback`` (errors no other handler takes still reach stderr or ``wsgi.errors``).

This module only uses the standard library.  A logging plugin changes how lines look
without replacing the manager: it installs a formatter factory with
:meth:`LogManager.set_formatter_factory`.  So that a formatter can rebuild a line from
its parts, records carry extra attributes: error-log records ``cherrypit_context`` and
``cherrypit_message`` (the arguments of :meth:`LogManager.error`), access-log records
``cherrypit_request`` and ``cherrypit_response``.

Unlike CherryPy, the two loggers do not propagate to the root logger, so
``log.screen = False`` really silences the console and a root handler never prints
each line a second time; add handlers to the ``cherrypy.*`` loggers to route them
elsewhere.
"""

from __future__ import annotations

import datetime
import functools
import logging
import os.path
import re
import string
import sys
import time as _time
import weakref
from collections.abc import Callable, MutableMapping
from typing import IO, Any, ClassVar

__all__ = ["FallbackErrorHandler", "FormatterFactory", "LogManager", "WSGIErrorHandler", "logfmt"]

#: The formatter of every handler a :class:`LogManager` adds: the message alone, since
#: the manager already puts the time and context into it.
logfmt = logging.Formatter("%(message)s")

#: A zero-argument callable returning the ``(request, response)`` being served.
RequestSource = Callable[[], tuple[Any, Any]]

#: Builds the formatter of one handler a :class:`LogManager` adds.  Called with the
#: manager, the logger the handler is attached to, and the handler's kind (``'screen'``,
#: ``'file'``, ``'wsgi'`` or ``'fallback'``).
FormatterFactory = Callable[["LogManager", logging.Logger, str], logging.Formatter]

#: Marks the handlers a :class:`LogManager` owns (value ``'screen'``, ``'file'``,
#: ``'wsgi'`` or ``'fallback'``), so that toggling a setting finds them again;
#: CherryPy's attribute name.
_MARK = "_cpbuiltin"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Access-log values are escaped the way Apache does since 2.0.46: printable ASCII stays,
# '"' and '\' get a backslash, whitespace controls are written C-style, and every other
# byte of the UTF-8 encoding becomes \xhh.  A log line can then never be split or forged.
_ESCAPES: tuple[str, ...] = tuple(
    {0x22: '\\"', 0x5C: "\\\\", 0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}.get(
        byte, chr(byte) if 0x20 <= byte < 0x7F else f"\\x{byte:02x}"
    )
    for byte in range(256)
)
_NEEDS_ESCAPE = re.compile(r'[^\x20-\x7e]|["\\]')


def _escape(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if not _NEEDS_ESCAPE.search(text):
        return text
    return "".join([_ESCAPES[byte] for byte in text.encode("utf-8")])


@functools.lru_cache(maxsize=16)
def _fields(log_format: str) -> frozenset[str]:
    """The names of the replacement fields an access-log format uses."""
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(log_format) if name is not None
    )


def _apache_time(now: float) -> str:
    """``[27/Nov/2026:10:00:00 +0000]``: local time with its UTC offset, as Apache logs."""
    local = _time.localtime(now)
    offset = (local.tm_gmtoff or 0) // 60
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return (
        f"[{local.tm_mday:02d}/{_MONTHS[local.tm_mon - 1]}/{local.tm_year:04d}:"
        f"{local.tm_hour:02d}:{local.tm_min:02d}:{local.tm_sec:02d} {sign}{hours:02d}{minutes:02d}]"
    )


def rfc3339_utc_now() -> str:
    """Now in UTC, as RFC 3339 text: ``2026-11-27T10:00:00.123456Z``."""
    # datetime.datetime is looked up at call time: CherryPy code stubs it to fix the clock.
    moment = datetime.datetime.now(datetime.UTC)
    return moment.replace(tzinfo=None).isoformat("T") + "Z"


def _access_utc_time() -> str:
    # CherryPy code replaces ``cherrypy._cplogging.LazyRfc3339UtcTime`` to fix the
    # ``{z}`` of access lines; as in CherryPy, the replacement is what gets written.
    compat = sys.modules.get("cherrypit._cplogging")
    if compat is None:
        return rfc3339_utc_now()
    return str(compat.LazyRfc3339UtcTime())


def _header(headers: Any, name: str, default: str) -> str:
    if headers is None:
        return default
    value = headers.get(name)
    return default if value is None else str(value)


def _serving_environ() -> MutableMapping[str, Any] | None:
    from cherrypit._kernel import serving

    environ: MutableMapping[str, Any] | None = getattr(
        serving.ambient().request, "wsgi_environ", None
    )
    return environ


class WSGIErrorHandler(logging.Handler):
    """A handler that writes records to the ``wsgi.errors`` stream of the current request.

    :param level: the handler's level, as for any :class:`logging.Handler`.
    :param environ_getter: a zero-argument callable returning the WSGI environ being
        served, or ``None`` outside a request; by default the environ of the request
        the current thread serves.  Outside a request records are dropped, since there
        is no stream to write to.
    """

    def __init__(
        self,
        level: int = logging.NOTSET,
        environ_getter: Callable[[], MutableMapping[str, Any] | None] | None = None,
    ) -> None:
        super().__init__(level)
        self.environ_getter = environ_getter or _serving_environ

    def _stream(self) -> IO[str] | None:
        if self.environ_getter is None:
            return None
        try:
            environ = self.environ_getter()
        except Exception:
            # No request in flight (or the request source is not wired up yet).
            return None
        if environ is None:
            return None
        stream: IO[str] | None = environ.get("wsgi.errors")
        return stream

    def flush(self) -> None:
        """Flush the current request's ``wsgi.errors`` stream, if there is one."""
        stream = self._stream()
        if stream is not None:
            stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        """Write one formatted record, followed by a newline, to ``wsgi.errors``."""
        try:
            stream = self._stream()
            if stream is None:
                return
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


class FallbackErrorHandler(WSGIErrorHandler):
    """Writes the errors nobody else takes: to ``wsgi.errors``, or to stderr.

    An error (``ERROR`` and above) that reaches this handler while no other handler on
    its way up (console, files, ``wsgi.errors``, or one the application added) would
    write it, goes to the ``wsgi.errors`` stream of the request being served (a
    foreign WSGI server's error log) or, outside a request, to ``sys.stderr``.  So
    switching ``log.screen`` off, as the ``production`` and ``embedded`` environments
    do, never makes an error vanish.
    """

    def __init__(
        self, environ_getter: Callable[[], MutableMapping[str, Any] | None] | None = None
    ) -> None:
        super().__init__(logging.ERROR, environ_getter)

    @staticmethod
    def _only_observes(handler: logging.Handler) -> bool:
        # pytest attaches its capture handlers to every non-propagating logger: they
        # record lines for reports, they do not deliver them anywhere.
        return type(handler).__module__.startswith("_pytest.")

    def _taken_elsewhere(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:
            for handler in logger.handlers:
                if handler is self or self._only_observes(handler):
                    continue
                if isinstance(handler, FallbackErrorHandler):
                    return True  # the nearest fallback is the one that writes
                if isinstance(handler, logging.NullHandler) or record.levelno < handler.level:
                    continue
                if isinstance(handler, WSGIErrorHandler) and handler._stream() is None:
                    continue  # log.wsgi outside a request drops the line
                return True
            logger = logger.parent if logger.propagate else None
        return False

    def _stream(self) -> IO[str] | None:
        return super()._stream() or sys.stderr

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` unless another handler on its way up takes it."""
        if not self._taken_elsewhere(record):
            super().emit(record)


class LogManager:
    """The error log and the access log of the whole site or of one application.

    :param appid: ``None`` for the site-wide manager; otherwise the application's id,
        appended to the logger names.
    :param logger_root: the first segment of the logger names.
    :param source: a zero-argument callable returning the ``(request, response)``
        being served, read by :meth:`access` and by the ``wsgi`` handler.  It may also
        be set later as the :attr:`source` attribute.

    Re-opening log files on the engine's ``graceful`` channel is the caller's job:
    subscribe :meth:`reopen_files` to it.
    """

    #: The format of access lines.  Fields: ``h`` client address, ``l`` always ``-``,
    #: ``u`` login, ``t`` time, ``r`` request line, ``s`` status code, ``b`` response
    #: ``Content-Length``, ``f`` Referer, ``a`` User-Agent, ``o`` Host, ``i`` the
    #: request's unique id, ``z`` RFC 3339 UTC time.
    access_log_format: str = '{h} {l} {u} {t} "{r}" {s} {b} "{f}" "{a}"'

    #: Where the formatters of the handlers the managers add come from; ``None`` means
    #: :data:`logfmt`.  Shared by every manager; change it with
    #: :meth:`set_formatter_factory`.
    formatter_factory: ClassVar[FormatterFactory | None] = None
    # Every live manager, so that a new factory reaches handlers made before it.
    _instances: ClassVar[weakref.WeakSet[LogManager]] = weakref.WeakSet()

    # Set by each instance; ``None`` on the class, as CherryPy documents them.
    #: The owning application's id, or ``None`` for the site-wide manager.
    appid: str | int | None = None
    #: The first segment of the logger names.
    logger_root: str = None  # type: ignore[assignment]
    #: The :class:`logging.Logger` for error (and other application) messages.
    error_log: logging.Logger = None  # type: ignore[assignment]
    #: The :class:`logging.Logger` for access lines.
    access_log: logging.Logger = None  # type: ignore[assignment]

    def __init__(
        self,
        appid: str | int | None = None,
        logger_root: str = "cherrypy",
        source: RequestSource | None = None,
    ) -> None:
        self.appid = appid
        self.logger_root = logger_root
        #: Where :meth:`access` finds the request and response it logs.
        self.source = source
        suffix = "" if appid is None else f".{appid}"
        self.error_log = logging.getLogger(f"{logger_root}.error{suffix}")
        self.access_log = logging.getLogger(f"{logger_root}.access{suffix}")
        for log in (self.error_log, self.access_log):
            log.setLevel(logging.INFO)
            # Per-application loggers feed the site-wide ones, as in CherryPy.
            log.propagate = appid is not None
            # With no handler at all, stdlib logging would print WARNING and above to
            # stderr on its own ("last resort"), even with log.screen off.
            if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
                log.addHandler(logging.NullHandler())
        LogManager._instances.add(self)

    # ------------------------------------------------------------------ writing

    def error(
        self,
        msg: str = "",
        context: str = "",
        severity: int = logging.INFO,
        traceback: bool = False,
    ) -> None:
        """Write ``msg`` to the error log as ``[time] CONTEXT msg``.

        Not only for errors: applications log anything they like through it.

        :param msg: the message.
        :param context: a label such as ``'ENGINE'`` or ``'HTTP'``.
        :param severity: a :mod:`logging` level.
        :param traceback: append the traceback of the exception being handled, if any.
        """
        exc_info = sys.exc_info() if traceback else None
        self.error_log.log(
            severity,
            " ".join((self.time(), context, msg)),
            exc_info=exc_info if exc_info and exc_info[0] is not None else None,
            extra={"cherrypit_context": context, "cherrypit_message": msg},
        )

    def __call__(
        self,
        msg: str = "",
        context: str = "",
        severity: int = logging.INFO,
        traceback: bool = False,
    ) -> None:
        """Same as :meth:`error`."""
        self.error(msg, context, severity, traceback)

    def access(self, request: Any = None, response: Any = None) -> None:
        """Write one access line for a request, in :attr:`access_log_format`.

        :param request: the request; with ``response``, defaults to what :attr:`source`
            returns.  Read attributes: ``remote.ip`` (``remote.name`` first, when set),
            ``login``, ``request_line``, ``headers``, ``unique_id``.
        :param response: the response; read attributes: ``status`` (``'200 OK'``),
            ``headers``.

        Every value is escaped (see the module source) so that client-controlled text
        cannot break the line.  A failure is written to the error log instead of being
        raised: logging must never fail a request.
        """
        try:
            if request is None or response is None:
                if self.source is None:
                    raise RuntimeError("LogManager.access() needs a request source")
                request, response = self.source()
            line = self.access_log_format.format_map(self._atoms(request, response))
            self.access_log.log(
                logging.INFO,
                line,
                extra={"cherrypit_request": request, "cherrypit_response": response},
            )
        except Exception:
            self.error(traceback=True)

    def _atoms(self, request: Any, response: Any) -> dict[str, str]:
        fields = _fields(self.access_log_format)
        now = _time.time()
        inheaders = getattr(request, "headers", None)
        atoms: dict[str, object] = {}
        if "h" in fields:
            remote = getattr(request, "remote", None)
            atoms["h"] = getattr(remote, "name", None) or getattr(remote, "ip", None) or "-"
        if "l" in fields:
            atoms["l"] = "-"
        if "u" in fields:
            atoms["u"] = getattr(request, "login", None) or "-"
        if "t" in fields:
            atoms["t"] = _apache_time(now)
        if "r" in fields:
            atoms["r"] = getattr(request, "request_line", "") or ""
        if "s" in fields:
            status = getattr(response, "status", None)
            if isinstance(status, bytes):
                status = status.decode("ISO-8859-1")
            atoms["s"] = "-" if status is None else str(status).split(" ", 1)[0]
        if "b" in fields:
            atoms["b"] = _header(getattr(response, "headers", None), "Content-Length", "") or "-"
        if "f" in fields:
            atoms["f"] = _header(inheaders, "Referer", "")
        if "a" in fields:
            atoms["a"] = _header(inheaders, "User-Agent", "")
        if "o" in fields:
            atoms["o"] = _header(inheaders, "Host", "-")
        if "i" in fields:
            atoms["i"] = getattr(request, "unique_id", None) or "-"
        if "z" in fields:
            atoms["z"] = _access_utc_time()
        return {key: _escape(value) for key, value in atoms.items()}

    def time(self) -> str:
        """Now, local time, as ``[27/Nov/2026:10:00:00]`` (the error-log timestamp)."""
        now = _time.localtime()
        return (
            f"[{now.tm_mday:02d}/{_MONTHS[now.tm_mon - 1]}/{now.tm_year:04d}:"
            f"{now.tm_hour:02d}:{now.tm_min:02d}:{now.tm_sec:02d}]"
        )

    # ----------------------------------------------------------------- handlers

    @staticmethod
    def _builtin(log: logging.Logger, kind: str) -> logging.Handler | None:
        for handler in log.handlers:
            if getattr(handler, _MARK, None) == kind:
                return handler
        return None

    def _formatter(self, log: logging.Logger, kind: str) -> logging.Formatter:
        # Read through the class: on an instance the function would become a method.
        factory = LogManager.formatter_factory
        return logfmt if factory is None else factory(self, log, kind)

    def _add(self, log: logging.Logger, handler: logging.Handler, kind: str) -> None:
        handler.setFormatter(self._formatter(log, kind))
        setattr(handler, _MARK, kind)
        log.addHandler(handler)

    @staticmethod
    def set_formatter_factory(factory: FormatterFactory | None) -> None:
        """Install ``factory`` (``None``: back to :data:`logfmt`) for every manager.

        The handlers that live managers already own get a formatter from it at once;
        handlers added later get one when they are added.
        """
        LogManager.formatter_factory = factory
        for manager in list(LogManager._instances):
            manager.refresh_formatters()

    def refresh_formatters(self) -> None:
        """Give every handler this manager owns a formatter from :attr:`formatter_factory`.

        For handlers added before the factory changed; handlers added later get one on
        their own.  Handlers that applications attached themselves are left alone.
        """
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                kind = getattr(handler, _MARK, None)
                if kind is not None:
                    handler.setFormatter(self._formatter(log, kind))

    def _set_screen(self, log: logging.Logger, enable: bool, stream: IO[str]) -> None:
        handler = self._builtin(log, "screen")
        if enable and handler is None:
            self._add(log, logging.StreamHandler(stream), "screen")
        elif not enable and handler is not None:
            log.removeHandler(handler)

    @property
    def screen(self) -> bool:
        """Whether messages are printed: errors to stderr, access lines to stdout.

        Setting it adds or removes the two console handlers.
        """
        return bool(
            self._builtin(self.error_log, "screen") or self._builtin(self.access_log, "screen")
        )

    @screen.setter
    def screen(self, enable: bool) -> None:
        self._set_screen(self.error_log, enable, sys.stderr)
        self._set_screen(self.access_log, enable, sys.stdout)

    def _set_file(self, log: logging.Logger, filename: str | None) -> None:
        handler = self._builtin(log, "file")
        if handler is not None:
            if (
                filename
                and isinstance(handler, logging.FileHandler)
                and handler.baseFilename == os.path.abspath(filename)
            ):
                return
            log.removeHandler(handler)
            handler.close()
        if filename:
            self._add(log, logging.FileHandler(filename, encoding="utf-8"), "file")

    @staticmethod
    def _filename(log: logging.Logger) -> str:
        handler = LogManager._builtin(log, "file")
        return handler.baseFilename if isinstance(handler, logging.FileHandler) else ""

    @property
    def error_file(self) -> str:
        """The error log's file (absolute path), or ``''``.

        Setting a path adds a file handler (replacing a previous one); ``''`` or
        ``None`` removes it.
        """
        return self._filename(self.error_log)

    @error_file.setter
    def error_file(self, filename: str | None) -> None:
        self._set_file(self.error_log, filename)

    @property
    def access_file(self) -> str:
        """The access log's file (absolute path), or ``''``; set it like :attr:`error_file`."""
        return self._filename(self.access_log)

    @access_file.setter
    def access_file(self, filename: str | None) -> None:
        self._set_file(self.access_log, filename)

    @property
    def wsgi(self) -> bool:
        """Whether error messages also go to the ``wsgi.errors`` stream of the request.

        Setting it adds or removes a :class:`WSGIErrorHandler` reading the environ from
        :attr:`source`'s request (its ``wsgi_environ`` attribute).
        """
        return self._builtin(self.error_log, "wsgi") is not None

    @wsgi.setter
    def wsgi(self, enable: bool) -> None:
        handler = self._builtin(self.error_log, "wsgi")
        if enable and handler is None:
            self._add(
                self.error_log, WSGIErrorHandler(environ_getter=self._current_environ), "wsgi"
            )
        elif not enable and handler is not None:
            self.error_log.removeHandler(handler)

    @property
    def fallback(self) -> bool:
        """Whether errors no other handler takes are written anyway (site: on).

        Setting it adds or removes a :class:`FallbackErrorHandler`: errors go to the
        request's ``wsgi.errors`` or to stderr when no console, file or other handler
        would write them.
        """
        return self._builtin(self.error_log, "fallback") is not None

    @fallback.setter
    def fallback(self, enable: bool) -> None:
        handler = self._builtin(self.error_log, "fallback")
        if enable and handler is None:
            self._add(self.error_log, FallbackErrorHandler(self._current_environ), "fallback")
        elif not enable and handler is not None:
            self.error_log.removeHandler(handler)

    def _current_environ(self) -> MutableMapping[str, Any] | None:
        if self.source is None:
            return None
        request, _ = self.source()
        environ: MutableMapping[str, Any] | None = getattr(request, "wsgi_environ", None)
        return environ

    def reopen_files(self) -> None:
        """Close and reopen every file handler of both logs (after log rotation).

        A file renamed away by a rotation tool stops receiving lines; new lines go to a
        fresh file under the configured name.
        """
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if isinstance(handler, logging.FileHandler):
                    handler.acquire()
                    try:
                        old = handler.stream
                        handler.stream = handler._open()
                        if old is not None:
                            old.close()
                    finally:
                        handler.release()
