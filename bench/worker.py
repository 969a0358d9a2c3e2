"""Time one benchmark app under one framework, in this process, and print a JSON line.

Run by ``bench/run.py`` once per (round, app, framework)::

    python bench/worker.py --framework cherrypit --app hello --requests 20000

The app is mounted, one request is checked (status and body), the app is warmed up,
then ``--requests`` WSGI calls are timed in ``--batches`` equal batches.  The reported
figure is the median batch, in microseconds per request.  Exit status 2 means the
reply was wrong; an app the framework cannot run is reported with ``"skipped"``.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

# Run as a script, the bench folder (not the repo root) heads sys.path; the modules
# below are imported as the ``bench`` package so that mypy and both interpreters agree.
_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _load(framework: str) -> Any:
    from bench import peers

    if framework in peers.PEER_NAMES:
        peers.select(framework)
        return peers
    if framework == "cherrypit":
        # A None entry makes ``import cherrypy`` fail, so bench.apps falls back to
        # cherrypit even where the real CherryPy happens to be installed.
        sys.modules["cherrypy"] = None  # type: ignore[assignment]
    from bench import apps

    actual = apps.framework_name()
    if actual != framework:
        raise SystemExit(
            f"asked for {framework!r} but {sys.executable} imported {actual!r}; "
            "pass the interpreter that has it installed"
        )
    return apps


def _call(app: WSGIApp, base: dict[str, Any], body: bytes) -> tuple[str, bytes]:
    captured: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.append(status)
        return captured.append

    environ = dict(base)
    environ["wsgi.input"] = io.BytesIO(body)
    result = app(environ, start_response)
    try:
        payload = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return captured[0], payload


def _noop_write(data: bytes) -> None:
    pass


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return _noop_write


def _timed_batch(app: WSGIApp, base: dict[str, Any], body: bytes, count: int) -> int:
    """Nanoseconds for ``count`` requests (environ copy and body read included)."""
    bytes_io = io.BytesIO
    join = b"".join
    start_response = _start_response
    t0 = time.perf_counter_ns()
    for _ in range(count):
        environ = base.copy()
        environ["wsgi.input"] = bytes_io(body)
        result = app(environ, start_response)
        join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return time.perf_counter_ns() - t0


def measure(framework: str, app_name: str, requests: int, batches: int, warmup: int,
            verify_only: bool) -> dict[str, Any]:
    from bench.cases import CASES

    apps = _load(framework)
    out: dict[str, Any] = {
        "framework": framework,
        "version": apps.version() if hasattr(apps, "version") else str(apps.cherrypy.__version__),
        "python": platform.python_version(),
        "app": app_name,
        "skipped": None,
    }
    case = CASES[app_name]
    try:
        wsgi_app = apps.mount(app_name)
    except apps.Skip as exc:
        out["skipped"] = str(exc)
        return out
    base = case.base_environ()

    status, payload = _call(wsgi_app, base, case.body)
    error = case.verify(status, payload)
    out["status"] = status
    out["body"] = payload[:200].decode("utf-8", "replace")
    if error:
        out["error"] = error
        return out
    if verify_only:
        return out

    _timed_batch(wsgi_app, base, case.body, warmup)
    per_batch = max(1, requests // batches)
    gc.collect()
    timings = [_timed_batch(wsgi_app, base, case.body, per_batch) for _ in range(batches)]
    us = [t / per_batch / 1000 for t in timings]

    # The last reply must still be right (state built up while timing must not break it).
    status, payload = _call(wsgi_app, base, case.body)
    error = case.verify(status, payload)
    if error:
        out["error"] = f"after timing: {error}"
        return out
    out.update(
        requests=per_batch * batches,
        us_per_req=statistics.median(us),
        mean_us=sum(timings) / (per_batch * batches) / 1000,
        batches_us=[round(u, 3) for u in us],
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--framework", choices=("cherrypit", "cherrypy", "falcon", "bottle", "raw"), required=True
    )
    parser.add_argument("--app", required=True)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed requests first (default: a tenth of --requests)")
    parser.add_argument("--verify-only", action="store_true",
                        help="check the reply and stop (no timing)")
    args = parser.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else max(100, args.requests // 10)
    out = measure(args.framework, args.app, args.requests, args.batches, warmup,
                  args.verify_only)
    print(json.dumps(out))
    return 2 if out.get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
