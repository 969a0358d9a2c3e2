"""Compare cherrypit with CherryPy 18 on the same apps, in-process, and print the ratios.

::

    python bench/run.py --cherrypy-python ~/.cache/cherrypit-conformance/venv/bin/python
    python bench/run.py --quick            # a short, noisier run

Every (app, framework) pair first answers one checked request (status and body); then,
round after round, each pair is timed in a fresh subprocess (``bench/worker.py``), the
two frameworks alternating which goes first.  The table shows the median over rounds
of each worker's median batch, in microseconds per request, and
``ratio = cherrypit / CherryPy`` (below 1 means cherrypit is faster).  The last line
is the same result as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "worker.py")
DEFAULT_CHERRYPY_PYTHON = os.path.expanduser("~/.cache/cherrypit-conformance/venv/bin/python")
APPS = ("hello", "params", "json_post", "notfound")
FRAMEWORKS = ("cherrypit", "cherrypy")


class BenchError(RuntimeError):
    """A worker failed or answered wrongly."""


def run_worker(python: str, framework: str, app: str, *extra: str) -> dict[str, Any]:
    cmd = [python, WORKER, "--framework", framework, "--app", app, *extra]
    env = dict(os.environ)
    if framework == "cherrypy":
        # CherryPy's interpreter must not pick up a source checkout of cherrypit.
        env.pop("PYTHONPATH", None)
    env["PYTHONHASHSEED"] = "0"
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(
            f"{' '.join(cmd)} exited {proc.returncode} without a result:\n"
            f"{proc.stdout}{proc.stderr}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    if result.get("error"):
        raise BenchError(f"{framework} {app}: wrong reply: {result['error']}")
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
    return result


def format_table(rows: list[dict[str, Any]]) -> str:
    header = ("app", "cherrypit µs/req", "CherryPy µs/req", "ratio")
    body: list[tuple[str, ...]] = []
    for row in rows:
        if row.get("skipped"):
            body.append((row["app"], "skipped", "", row["skipped"]))
            continue
        body.append((
            row["app"],
            f"{row['cherrypit_us']:.1f}",
            f"{row['cherrypy_us']:.1f}",
            f"{row['ratio']:.3f} (1/{1 / row['ratio']:.1f})",
        ))
    widths = [max(len(r[i]) for r in (header, *body)) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cherrypit vs CherryPy, in-process WSGI")
    parser.add_argument("--cherrypy-python", default=DEFAULT_CHERRYPY_PYTHON,
                        help="an interpreter with CherryPy 18 installed "
                        "(bench/setup-cherrypy.sh creates the default one)")
    parser.add_argument("--cherrypit-python", default=sys.executable,
                        help="an interpreter with cherrypit installed (default: this one)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20000,
                        help="timed requests per worker run")
    parser.add_argument("--apps", default=",".join(APPS),
                        help=f"comma-separated subset of {','.join(APPS)}")
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds of 3000 requests (a smoke run; numbers are noisy)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.requests = 2, 3000
    apps = [a for a in args.apps.split(",") if a]
    unknown = set(apps) - set(APPS)
    if unknown:
        parser.error(f"unknown app(s): {', '.join(sorted(unknown))}")
    if not os.path.exists(args.cherrypy_python):
        parser.error(
            f"{args.cherrypy_python} does not exist; run bench/setup-cherrypy.sh or pass "
            "--cherrypy-python"
        )
    pythons = {"cherrypit": args.cherrypit_python, "cherrypy": args.cherrypy_python}

    # Check every reply before any timing (this also warms the import caches).
    skipped: dict[str, str] = {}
    versions: dict[str, str] = {}
    for app in apps:
        for fw in FRAMEWORKS:
            result = run_worker(pythons[fw], fw, app, "--verify-only")
            versions[fw] = result["version"]
            if result["skipped"]:
                skipped[app] = result["skipped"]
                print(f"skipping {app}: {result['skipped']}", file=sys.stderr)
    timed = [a for a in apps if a not in skipped]

    samples: dict[tuple[str, str], list[float]] = {(a, f): [] for a in timed for f in FRAMEWORKS}
    for rnd in range(args.rounds):
        order = FRAMEWORKS if rnd % 2 == 0 else FRAMEWORKS[::-1]
        for app in timed:
            for fw in order:
                result = run_worker(pythons[fw], fw, app, "--requests", str(args.requests))
                samples[(app, fw)].append(result["us_per_req"])
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)

    rows: list[dict[str, Any]] = []
    for app in apps:
        if app in skipped:
            rows.append({"app": app, "skipped": skipped[app]})
            continue
        pit = statistics.median(samples[(app, "cherrypit")])
        cp = statistics.median(samples[(app, "cherrypy")])
        rows.append({
            "app": app,
            "cherrypit_us": round(pit, 2),
            "cherrypy_us": round(cp, 2),
            "ratio": round(pit / cp, 4),
            "cherrypit_rounds": [round(s, 2) for s in samples[(app, "cherrypit")]],
            "cherrypy_rounds": [round(s, 2) for s in samples[(app, "cherrypy")]],
        })

    print(
        f"cherrypit {versions.get('cherrypit', '?')} vs CherryPy {versions.get('cherrypy', '?')}"
        f" — Python {platform.python_version()}, {args.rounds} rounds x {args.requests} "
        "requests, in-process WSGI (median µs/request)"
    )
    print(format_table(rows))
    print(json.dumps({
        "rounds": args.rounds,
        "requests": args.requests,
        "versions": versions,
        "results": rows,
    }))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(1)
