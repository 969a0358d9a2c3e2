"""The first request after start-up against warm ones, for cherrypit and CherryPy.

::

    python bench/first_request.py                  # every app, 5 fresh processes each
    python bench/first_request.py --apps hello --processes 9

Each measurement is a fresh interpreter (``--child``): it mounts one benchmark app,
starts the engine (no HTTP server: the WSGI callable is called directly, as in
``bench/worker.py``), times the first request, then the median of 50 more.  The table
gives, per app, the median over processes of the first request's time, the warm
median and their ratio.  Work left to the first request (plugin loading, plan
building, imports, code run for the first time) shows as a high ratio.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(HERE)
DEFAULT_CHERRYPY_PYTHON = os.path.expanduser("~/.cache/cherrypit-conformance/venv/bin/python")
APPS = ("hello", "params", "json_post", "notfound", "static", "session")
WARM_REQUESTS = 50


def child(framework: str, app_name: str) -> dict[str, Any]:
    """Run in a fresh interpreter: (first request µs, warm median µs) for one app."""
    if _REPO_ROOT not in sys.path:
        sys.path.insert(0, _REPO_ROOT)
    from bench.cases import CASES

    case = CASES[app_name]
    if framework == "raw":
        from bench import peers

        peers.select("raw")
        try:
            wsgi_app = peers.mount(app_name)
        except peers.Skip:
            return {"framework": framework, "app": app_name, "skipped": True}
        stop: Any = None
    else:
        if framework == "cherrypit":
            sys.modules["cherrypy"] = None  # type: ignore[assignment]
        from bench import apps

        cherrypy = apps.cherrypy
        wsgi_app = apps.mount(app_name)
        cherrypy.server.unsubscribe()
        cherrypy.engine.start()
        stop = cherrypy.engine.exit
    base = case.base_environ()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    def one() -> float:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(case.body)
        t0 = time.perf_counter_ns()
        result = wsgi_app(environ, start_response)
        b"".join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return (time.perf_counter_ns() - t0) / 1000

    try:
        first = one()
        warm = statistics.median(one() for _ in range(WARM_REQUESTS))
    finally:
        if stop is not None:
            stop()
    return {"framework": framework, "app": app_name, "first_us": first, "warm_us": warm}


def measure(python: str, framework: str, app_name: str) -> dict[str, Any]:
    env = dict(os.environ)
    if framework == "cherrypy":
        env.pop("PYTHONPATH", None)
    cmd = [python, os.path.abspath(__file__), "--child", framework, app_name]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--processes", type=int, default=5, help="fresh processes per app")
    parser.add_argument("--cherrypy-python", default=DEFAULT_CHERRYPY_PYTHON)
    parser.add_argument("--cherrypit-python", default=sys.executable)
    parser.add_argument("--child", nargs=2, metavar=("FRAMEWORK", "APP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    # A bare WSGI callable: what a cold interpreter and CPU alone add to a first call.
    pythons = {"cherrypit": args.cherrypit_python, "raw": sys.executable}
    if os.path.exists(args.cherrypy_python):
        pythons["cherrypy"] = args.cherrypy_python
    else:
        print(f"CherryPy skipped: no {args.cherrypy_python} (bench/setup-cherrypy.sh)")
    rows = []
    for app_name in args.apps.split(","):
        row: dict[str, Any] = {"app": app_name}
        for framework, python in pythons.items():
            runs = [measure(python, framework, app_name) for _ in range(args.processes)]
            if any(r.get("skipped") for r in runs):
                row[framework] = None
                continue
            first = statistics.median(r["first_us"] for r in runs)
            warm = statistics.median(r["warm_us"] for r in runs)
            row[framework] = {"first_us": round(first, 1), "warm_us": round(warm, 1),
                              "ratio": round(first / warm, 2)}
        rows.append(row)
    header = ["app"]
    for framework in pythons:
        header += [f"{framework} first µs", f"{framework} warm µs", f"{framework} first/warm"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        cells = [row["app"]]
        for framework in pythons:
            r = row[framework]
            if r is None:
                cells += ["-", "-", "-"]
            else:
                cells += [f"{r['first_us']:.0f}", f"{r['warm_us']:.1f}", f"{r['ratio']:.1f}"]
        print("| " + " | ".join(cells) + " |")
    print(json.dumps({"first_request": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
