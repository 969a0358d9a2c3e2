"""The least a request cycle with CherryPy's request model can cost, beside Falcon's.

::

    python bench/floor.py                 # this interpreter: the model and a bare callable
    ~/.cache/cherrypit-bench/peers/bin/python bench/floor.py --falcon

``hello`` answered by a model of the work CherryPy's documented API obliges every
request to do, and nothing more: a request object with its addresses, method, path,
query string, ``params``, ``header_list`` and a ``headers`` map of every request
header, ``base``; a response with ``status``, the default ``Content-Type``/``Server``/
``Date`` headers and a body; both reachable from the thread (``cherrypy.request``);
a remembered handler looked up by path; the text encoded with its charset and a
``Content-Length``; the request run in a copy of the context.  No config, no hooks,
no tools, no error handling: no framework with CherryPy's semantics can be cheaper.

Each is timed warm (a tight loop) and cold (after the CPU caches were filled with
other data, as a server's own work between two requests does).  A goal set against
Falcon's time below the model's ratio asks for less work than CherryPy's API implies.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextvars import copy_context
from typing import Any

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from bench.cases import CASES  # noqa: E402

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Host:
    __slots__ = ("ip", "name", "port")

    def __init__(self, ip: str, port: int, name: str) -> None:
        self.ip, self.port, self.name = ip, port, name


class _Request:
    def __init__(self, environ: dict[str, Any]) -> None:
        self.wsgi_environ = environ
        self.local = _Host("", int(environ["SERVER_PORT"]), environ["SERVER_NAME"])
        self.remote = _Host(environ["REMOTE_ADDR"], int(environ["REMOTE_PORT"]), "")
        self.scheme = environ["wsgi.url_scheme"]
        self.method = environ["REQUEST_METHOD"]
        self.path_info = environ["PATH_INFO"]
        self.query_string = environ["QUERY_STRING"]
        self.rfile = environ["wsgi.input"]
        self.params: dict[str, Any] = {}
        pairs: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        self.header_list, self.headers = pairs, headers
        for key, value in environ.items():
            if key[:5] == "HTTP_":
                name = key[5:].replace("_", "-").title()
                pairs.append((name, value))
                headers[name] = value
        self.base = f"{self.scheme}://{headers['Host']}"
        self.config: dict[str, Any] = {}
        self.handler: Any = None


class _Response:
    def __init__(self) -> None:
        self.status = ""
        self.headers = {"Content-Type": "text/html", "Server": "model", "Date": "-"}
        self.body: list[bytes] = []


class _Root:
    def index(self) -> str:
        return "Hello world!"


def model_app() -> WSGIApp:
    """``hello`` under the model of CherryPy's request model."""
    root = _Root()
    slot = threading.local()
    handlers: dict[str, Any] = {}

    def cycle(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        request, response = _Request(environ), _Response()
        slot.request, slot.response = request, response
        handler = handlers.get(request.path_info)
        if handler is None:
            handler = handlers[request.path_info] = root.index
        request.handler = handler
        body = handler().encode("utf-8")
        headers = response.headers
        headers["Content-Type"] = "text/html;charset=utf-8"
        headers["Content-Length"] = str(len(body))
        response.status, response.body = "200 OK", [body]
        start_response(response.status, list(headers.items()))
        slot.request = slot.response = None
        return response.body

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        return copy_context().run(cycle, environ, start_response)

    return app


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


_CACHE_FILLER = bytearray(4 * 1024 * 1024)


def _fill_caches() -> None:
    filler = _CACHE_FILLER
    for i in range(0, len(filler), 64):
        filler[i] = 1


def per_request_us(app: WSGIApp, count: int, cold: bool) -> float:
    """Median CPU µs of one ``hello`` request over ``count``, warm or cold."""
    base = CASES["hello"].base_environ()
    clock = time.thread_time_ns
    samples = []
    for _ in range(count):
        if cold:
            _fill_caches()
        environ = base.copy()
        environ["wsgi.input"] = io.BytesIO(b"")
        t0 = clock()
        b"".join(app(environ, _start_response))
        samples.append(clock() - t0)
    return statistics.median(samples) / 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--falcon", action="store_true", help="time Falcon's hello too")
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args(argv)
    from bench import peers

    apps: dict[str, WSGIApp] = {"model of CherryPy's request model": model_app()}
    peers.select("raw")
    apps["bare WSGI callable"] = peers.mount("hello")
    if args.falcon:
        peers.select("falcon")
        apps["Falcon"] = peers.mount("hello")
    print("| hello | warm µs | cold µs |")
    print("|---|---|---|")
    for name, app in apps.items():
        per_request_us(app, 500, cold=False)
        warm = per_request_us(app, args.requests, cold=False)
        cold = per_request_us(app, max(args.requests // 10, 100), cold=True)
        print(f"| {name} | {warm:.1f} | {cold:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
