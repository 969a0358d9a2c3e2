"""Compare cherrypit with CherryPy 18, Falcon, Bottle and a bare WSGI callable, in-process.

::

    python bench/run.py                    # every framework whose interpreter exists
    python bench/run.py --frameworks cherrypit,falcon --apps hello
    python bench/run.py --quick            # a short, noisier run

Every (app, framework) pair first answers one checked request (status and body); then,
round after round, each pair is timed in a fresh subprocess (``bench/worker.py``), each
round starting with the next framework.  The table shows the median over rounds of
each worker's median batch, in microseconds per request, and ``cherrypit/X``, the
ratio of cherrypit's time to each other framework's (below 1: cherrypit is faster).
The last line is the same result as JSON.
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
APPS = ("hello", "params", "json_post", "notfound", "static", "session")
DEFAULT_PEERS_PYTHON = os.path.expanduser("~/.cache/cherrypit-bench/peers/bin/python")
FRAMEWORKS = ("cherrypit", "cherrypy", "falcon", "bottle", "raw")


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


LABELS = {"cherrypit": "cherrypit", "cherrypy": "CherryPy", "falcon": "Falcon",
          "bottle": "Bottle", "raw": "bare WSGI"}


def format_table(rows: list[dict[str, Any]], frameworks: list[str]) -> str:
    """One row per app: µs/request per framework, then cherrypit's time over each peer's."""
    peers = [f for f in frameworks if f != "cherrypit"]
    header = (
        "app",
        *(f"{LABELS[f]} µs" for f in frameworks),
        *(f"cherrypit/{LABELS[f]}" for f in peers if "cherrypit" in frameworks),
    )
    body: list[tuple[str, ...]] = []
    for row in rows:
        us = row["us"]
        cells = [row["app"], *(f"{us[f]:.1f}" if f in us else "-" for f in frameworks)]
        if "cherrypit" in frameworks:
            for f in peers:
                ratio = row["ratios"].get(f)
                cells.append(f"{ratio:.2f}" if ratio is not None else "-")
        body.append(tuple(cells))
    widths = [max(len(r[i]) for r in (header, *body)) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in body)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="cherrypit vs its peers, in-process WSGI")
    parser.add_argument("--cherrypy-python", default=DEFAULT_CHERRYPY_PYTHON,
                        help="an interpreter with CherryPy 18 installed "
                        "(bench/setup-cherrypy.sh creates the default one)")
    parser.add_argument("--peers-python", default=DEFAULT_PEERS_PYTHON,
                        help="an interpreter with Falcon and Bottle installed "
                        "(bench/setup-peers.sh creates the default one)")
    parser.add_argument("--cherrypit-python", default=sys.executable,
                        help="an interpreter with cherrypit installed (default: this one)")
    parser.add_argument("--frameworks", default=None,
                        help=f"comma-separated subset of {','.join(FRAMEWORKS)} (default: "
                        "every one whose interpreter exists)")
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
    pythons = {
        "cherrypit": args.cherrypit_python,
        "cherrypy": args.cherrypy_python,
        "falcon": args.peers_python,
        "bottle": args.peers_python,
        "raw": args.cherrypit_python,
    }
    if args.frameworks:
        frameworks = [f for f in args.frameworks.split(",") if f]
        bad = set(frameworks) - set(FRAMEWORKS)
        if bad:
            parser.error(f"unknown framework(s): {', '.join(sorted(bad))}")
        for fw in frameworks:
            if not os.path.exists(pythons[fw]):
                parser.error(f"{pythons[fw]} ({fw}) does not exist; see bench/README.md")
    else:
        frameworks = [f for f in FRAMEWORKS if os.path.exists(pythons[f])]
        for fw in FRAMEWORKS:
            if fw not in frameworks:
                print(f"leaving out {fw}: {pythons[fw]} does not exist", file=sys.stderr)

    # Check every reply before any timing (this also warms the import caches).
    skipped: dict[tuple[str, str], str] = {}
    versions: dict[str, str] = {}
    for app in apps:
        for fw in frameworks:
            result = run_worker(pythons[fw], fw, app, "--verify-only")
            versions[fw] = result["version"]
            if result["skipped"]:
                skipped[(app, fw)] = result["skipped"]
                print(f"skipping {app} on {fw}: {result['skipped']}", file=sys.stderr)

    samples: dict[tuple[str, str], list[float]] = {
        (a, f): [] for a in apps for f in frameworks if (a, f) not in skipped
    }
    for rnd in range(args.rounds):
        # Each round starts with the next framework, so no one always runs first.
        shift = rnd % len(frameworks)
        order = frameworks[shift:] + frameworks[:shift]
        for app in apps:
            for fw in order:
                if (app, fw) in skipped:
                    continue
                result = run_worker(pythons[fw], fw, app, "--requests", str(args.requests))
                samples[(app, fw)].append(result["us_per_req"])
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)

    rows: list[dict[str, Any]] = []
    for app in apps:
        us = {f: statistics.median(samples[(app, f)]) for f in frameworks if (app, f) in samples}
        ratios = {
            f: round(us["cherrypit"] / us[f], 4)
            for f in us
            if f != "cherrypit" and "cherrypit" in us
        }
        rows.append({
            "app": app,
            "us": {f: round(v, 2) for f, v in us.items()},
            "ratios": ratios,
            "rounds": {f: [round(x, 2) for x in samples[(app, f)]] for f in us},
            "skipped": {f: why for (a, f), why in skipped.items() if a == app},
        })

    print(
        ", ".join(f"{LABELS[f]} {versions.get(f, '?')}" for f in frameworks)
        + f" — Python {platform.python_version()}, {args.rounds} rounds x {args.requests} "
        "requests, in-process WSGI (median µs/request; cherrypit/X below 1: cherrypit "
        "is faster)"
    )
    print(format_table(rows, frameworks))
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
