"""cherrypit against CherryPy, Falcon, Bottle and a bare cheroot WSGI callable, over HTTP.

::

    python bench/over_http.py                         # 3 rounds, 5 s of wrk per run
    python bench/over_http.py --apps hello,static --frameworks cherrypit,raw
    python bench/over_http.py --quick                 # 1 round, 1 s runs: a smoke test

For each round, app and framework (the framework order rotates every round), a fresh
server process (``bench/http_server.py``) is started pinned to one CPU with
``taskset``, one reply is checked (status and body), wrk (pinned to another CPU)
warms it up for a second and then loads it for ``--duration`` seconds over
``--connections`` kept-alive connections.  Two figures per run: requests per second,
and requests per CPU-second of the server process (its user+system time during the
timed run, from ``/proc``).  The table gives the median over rounds and
``cherrypit/raw``: cherrypit's figure over a bare WSGI callable's on plain cheroot,
the ceiling (1.0 would be no cost at all).  ``hello_close`` is ``hello`` without
keep-alive.  The last line is the same result as JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(HERE)
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from bench.cases import CASES, Case  # noqa: E402

SERVER = os.path.join(HERE, "http_server.py")
APPS = ("hello", "hello_close", "params", "json_post", "notfound", "static")
FRAMEWORKS = ("cherrypit", "cherrypy", "falcon", "bottle", "raw")
LABELS = {"cherrypit": "cherrypit", "cherrypy": "CherryPy", "falcon": "Falcon",
          "bottle": "Bottle", "raw": "cheroot-raw"}
DEFAULT_PYTHONS = {
    "cherrypy": os.path.expanduser("~/.cache/cherrypit-conformance/venv/bin/python"),
    "falcon": os.path.expanduser("~/.cache/cherrypit-bench/peers/bin/python"),
    "bottle": os.path.expanduser("~/.cache/cherrypit-bench/peers/bin/python"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _case(app: str) -> Case:
    return CASES["hello" if app == "hello_close" else app]


def _pinned(cpu: int, cmd: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu), *cmd]
    return cmd


class Server:
    """A running ``bench/http_server.py``; a context manager that always stops it."""

    def __init__(self, python: str, framework: str, app: str, threads: int) -> None:
        self.port = free_port()
        env = dict(os.environ)
        if framework != "cherrypit":
            # Other interpreters must not import a source checkout of cherrypit.
            env.pop("PYTHONPATH", None)
        cmd = [python, SERVER, "--framework", framework, "--app", _case(app).app,
               "--port", str(self.port), "--threads", str(threads)]
        # A file, not a pipe: a chatty server must never block on a full pipe.
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            _pinned(1, cmd), env=env, stdout=subprocess.DEVNULL, stderr=self._stderr
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                message = f"server exited: {self.stderr()}"
                self.close()
                raise RuntimeError(message)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("server did not start within 30 s")

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stderr(self) -> str:
        """What the server wrote to its standard error so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def close(self) -> None:
        """Stop the server and drop its standard error file."""
        self.stop()
        self._stderr.close()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        # Fields 14 and 15 of stat(5), counted after the ")" that ends field 2.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check_reply(port: int, app: str) -> None:
    """One request, checked like the in-process benchmark checks it."""
    case = _case(app)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        path = case.path + ("?" + case.query if case.query else "")
        headers = {"Content-Type": case.content_type} if case.content_type else {}
        conn.request(case.method, path, body=case.body or None, headers=headers)
        reply = conn.getresponse()
        error = case.verify(f"{reply.status} {reply.reason}", reply.read())
    finally:
        conn.close()
    if error:
        raise RuntimeError(error)


def _lua_script(case: Case, directory: str) -> str | None:
    if not case.body:
        return None
    path = os.path.join(directory, f"{case.app}.lua")
    with open(path, "w") as f:
        f.write(f"wrk.method = {json.dumps(case.method)}\n")
        f.write(f"wrk.body = {json.dumps(case.body.decode())}\n")
        f.write(f'wrk.headers["Content-Type"] = {json.dumps(case.content_type)}\n')
    return path


def run_wrk(port: int, app: str, seconds: float, connections: int, scripts: str) -> dict[str, Any]:
    case = _case(app)
    url = f"http://127.0.0.1:{port}{case.path}" + ("?" + case.query if case.query else "")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    script = _lua_script(case, scripts)
    if script:
        cmd += ["-s", script]
    if app == "hello_close":
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(_pinned(0, [*cmd, url]), capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def measure(python: str, framework: str, app: str, args: argparse.Namespace,
            scripts: str) -> dict[str, Any]:
    with Server(python, framework, app, args.threads) as server:
        check_reply(server.port, app)
        run_wrk(server.port, app, 1, args.connections, scripts)  # warm-up
        cpu0 = server.cpu_seconds()
        result = run_wrk(server.port, app, args.duration, args.connections, scripts)
        cpu = server.cpu_seconds() - cpu0
    if _case(app).status < 300 and result["non_2xx"]:
        raise RuntimeError(f"{framework} {app}: {result['non_2xx']} answers were not 2xx")
    result["cpu_s"] = cpu
    result["per_cpu_s"] = result["requests"] / cpu if cpu else 0.0
    return result


def format_table(rows: list[dict[str, Any]], frameworks: list[str]) -> str:
    peers = [f for f in ("raw", "falcon") if f in frameworks and "cherrypit" in frameworks]
    header = ["app", *(f"{LABELS[f]} req/s" for f in frameworks),
              *(f"{LABELS[f]} req/CPU-s" for f in frameworks),
              *(f"cherrypit/{LABELS[f]} (req/s, per CPU-s)" for f in peers)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [row["app"]]
        cells += [f"{row['rps'][f]:.0f}" if f in row["rps"] else "-" for f in frameworks]
        cells += [f"{row['per_cpu'][f]:.0f}" if f in row["per_cpu"] else "-" for f in frameworks]
        for f in peers:
            if f in row["rps"] and "cherrypit" in row["rps"]:
                cells.append(f"{row['rps']['cherrypit'] / row['rps'][f]:.2f}, "
                             f"{row['per_cpu']['cherrypit'] / row['per_cpu'][f]:.2f}")
            else:
                cells.append("-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of wrk per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=10, help="server worker threads")
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s runs")
    for name in ("cherrypy", "falcon", "bottle"):
        parser.add_argument(f"--{name}-python", default=DEFAULT_PYTHONS[name])
    parser.add_argument("--cherrypit-python", default=sys.executable,
                        help="also runs the bare WSGI callable")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration = 1, 1.0
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    pythons = {"cherrypit": args.cherrypit_python, "raw": args.cherrypit_python,
               "cherrypy": args.cherrypy_python, "falcon": args.falcon_python,
               "bottle": args.bottle_python}
    frameworks = []
    for f in args.frameworks.split(","):
        if os.path.exists(pythons[f]):
            frameworks.append(f)
        else:
            print(f"{f} skipped: no {pythons[f]} (bench/setup-cherrypy.sh, bench/setup-peers.sh)")
    apps = [a for a in args.apps.split(",") if a]
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="cherrypit-http-bench-") as scripts:
        for r in range(args.rounds):
            order = frameworks[r % len(frameworks):] + frameworks[: r % len(frameworks)]
            for app in apps:
                for f in order:
                    samples.setdefault((app, f), []).append(
                        measure(pythons[f], f, app, args, scripts)
                    )
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    rows = []
    for app in apps:
        row: dict[str, Any] = {"app": app, "rps": {}, "per_cpu": {}, "samples": {}}
        for f in frameworks:
            runs = samples[(app, f)]
            row["rps"][f] = statistics.median(s["rps"] for s in runs)
            row["per_cpu"][f] = statistics.median(s["per_cpu_s"] for s in runs)
            row["samples"][f] = [{k: s[k] for k in ("rps", "per_cpu_s")} for s in runs]
        rows.append(row)
    print(f"{args.rounds} rounds x {args.duration:g} s, wrk -t1 -c{args.connections}, "
          f"{args.threads} server threads, server and wrk on separate CPUs")
    print(format_table(rows, frameworks))
    print(json.dumps({"rounds": args.rounds, "duration": args.duration,
                      "connections": args.connections, "threads": args.threads,
                      "results": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
