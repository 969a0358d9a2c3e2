"""CherryPy's ``cherrypy.lib.profiler`` import path: profile requests with :mod:`cProfile`.

Two ways in, as in CherryPy:

* :class:`make_app` wraps a WSGI application (``cherrypit.tree``, or one
  application) and writes one ``cp_NNNN.prof`` file per request, or one file for all
  of them with ``aggregate=True``, into a folder;
* :class:`Profiler` is also a small site that lists those files and shows each as a
  :mod:`pstats` report; :func:`serve` runs it on a port of its own.

Profiling costs a lot of time per request: turn it on while looking for a slow path,
never in production.
"""

from __future__ import annotations

import cProfile
import html
import io
import os
import pstats
import threading
from collections.abc import Callable, Iterable
from typing import Any

from cherrypit._kernel.dispatch import expose
from cherrypit._kernel.errors import NotFound

__all__ = ["ProfileAggregator", "Profiler", "make_app", "new_func_strip_path", "serve"]

#: Where profile files go when no folder is given: ``profile`` next to this module, as
#: in CherryPy (pass a folder of your own: the installed package may be read-only).
DEFAULT_PATH = os.path.join(os.path.dirname(__file__), "profile")

_PREFIX = "cp_"
_SUFFIX = ".prof"

_counter_lock = threading.Lock()
_last_number = 0


def _next_number() -> int:
    global _last_number
    with _counter_lock:
        _last_number += 1
        return _last_number


def new_func_strip_path(func_name: tuple[str, int, str]) -> tuple[str, int, str]:
    """A :mod:`pstats` function key with the file shortened to its last two parts.

    ``('/usr/lib/python3/site-packages/app/views.py', 12, 'index')`` becomes
    ``('app/views.py', 12, 'index')``: reports stay readable.
    """
    filename, line, name = func_name
    if filename.endswith("__init__.py"):
        return os.path.basename(filename[:-12]) + filename[-12:], line, name
    return os.path.basename(filename), line, name


class Profiler:
    """Profiles calls into ``cp_NNNN.prof`` files in :attr:`path`, and shows them.

    Exposed as a site: ``index`` lists the files, ``report?filename=...`` shows one.
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path or DEFAULT_PATH
        os.makedirs(self.path, exist_ok=True)

    def run(self, func: Callable[..., Any], *args: Any, **params: Any) -> Any:
        """Call ``func(*args, **params)`` under the profiler; one file per call."""
        target = os.path.join(self.path, f"{_PREFIX}{_next_number():04d}{_SUFFIX}")
        profile = cProfile.Profile()
        try:
            return profile.runcall(func, *args, **params)
        finally:
            profile.dump_stats(target)

    def statfiles(self) -> list[str]:
        """The names of the profile files in :attr:`path`, oldest first."""
        return sorted(
            name
            for name in os.listdir(self.path)
            if name.startswith(_PREFIX) and name.endswith(_SUFFIX)
        )

    def _file(self, filename: str) -> str:
        # Only names listed by statfiles: a request must not open arbitrary files.
        if filename not in self.statfiles():
            raise NotFound()
        return os.path.join(self.path, filename)

    def stats(self, filename: str, sortby: str = "cumulative") -> str:
        """The :mod:`pstats` report of one file, as text, sorted by ``sortby``."""
        out = io.StringIO()
        report = pstats.Stats(os.path.join(self.path, filename), stream=out)
        report.sort_stats(sortby)
        report.print_stats()
        return out.getvalue()

    @expose
    def index(self) -> str:
        """The list of profile files, each linking to its report."""
        links = "".join(
            f'<li><a href="report?filename={html.escape(name, quote=True)}">'
            f"{html.escape(name)}</a></li>"
            for name in self.statfiles()
        )
        return (
            "<!DOCTYPE html><html><head><title>cherrypit profiler</title></head><body>"
            f"<h1>Profiles</h1><ul>{links or '<li>none yet</li>'}</ul></body></html>"
        )

    @expose
    def menu(self) -> str:
        """The list of profile files (CherryPy's frame name for it)."""
        return self.index()

    @expose
    def report(self, filename: str) -> str:
        """One profile as a plain-text :mod:`pstats` report."""
        from cherrypit._kernel.serving import current

        path = self._file(filename)
        current().response.headers["Content-Type"] = "text/plain; charset=utf-8"
        return self.stats(os.path.basename(path))


class ProfileAggregator(Profiler):
    """A :class:`Profiler` that adds every call to one profile and one file."""

    def __init__(self, path: str | None = None) -> None:
        super().__init__(path)
        self.count = _next_number()
        self.profiler = cProfile.Profile()
        self._lock = threading.Lock()

    def run(self, func: Callable[..., Any], *args: Any, **params: Any) -> Any:
        """Call ``func`` under the shared profile and rewrite its file."""
        target = os.path.join(self.path, f"{_PREFIX}{self.count:04d}{_SUFFIX}")
        # cProfile allows one active profiler per thread; calls take turns.
        with self._lock:
            try:
                return self.profiler.runcall(func, *args, **params)
            finally:
                self.profiler.dump_stats(target)


class make_app:  # CherryPy's name (a class, called like a function)
    """WSGI middleware that profiles each request of ``nextapp``.

    :param path: the folder for the profile files.
    :param aggregate: one profile for all requests instead of one per request.
    """

    def __init__(
        self, nextapp: Callable[..., Iterable[bytes]], path: str | None = None,
        aggregate: bool = False,
    ) -> None:
        self.nextapp = nextapp
        self.aggregate = aggregate
        self.profiler: Profiler = ProfileAggregator(path) if aggregate else Profiler(path)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        def whole_response() -> list[bytes]:
            # The body is part of the work: iterate it inside the profile.
            body = self.nextapp(environ, start_response)
            try:
                return list(body)
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        result: list[bytes] = self.profiler.run(whole_response)
        return result


def serve(path: str | None = None, port: int = 8080) -> None:
    """Serve the reports of the profiles in ``path`` on ``port`` (blocks)."""
    import cherrypit

    cherrypit.config.update(
        {"server.socket_port": int(port), "server.thread_pool": 10, "environment": "production"}
    )
    cherrypit.quickstart(Profiler(path))
