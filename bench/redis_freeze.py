"""Probe: a Redis frozen under load — how fast do session pages fail, does the site answer?

::

    .venv/bin/python bench/redis_freeze.py
    .venv/bin/python bench/redis_freeze.py --freeze 8 --session-clients 12 --socket-timeout 1

A ``redis-server`` (persistence off, files in a temporary directory) and a cherrypit
server (10 worker threads, production settings, Redis sessions under ``/s`` with the
default timeouts unless ``--socket-timeout`` is given) are started as subprocesses.
``--session-clients`` clients then call ``/s/inc`` in a loop, each with its own session,
while one more client calls ``GET /`` (no session).  After two seconds Redis is frozen
with ``SIGSTOP`` for ``--freeze`` seconds, then resumed with ``SIGCONT``.  The report
gives, for the freeze, the session answers by status with their slowest and median
time, and how many ``GET /`` were answered and how slowly; then whether session pages
work again once Redis is back.  The last line is a JSON summary.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SERVER = """
import sys
import cherrypit

class Site:
    @cherrypit.expose
    def index(self):
        return "home"

    class Counter:
        @cherrypit.expose
        def inc(self):
            value = cherrypit.session.get("n", 0) + 1
            cherrypit.session["n"] = value
            return str(value)

    s = Counter()

conf = {"/s": {
    "tools.sessions.on": True,
    "tools.sessions.storage_type": "redis",
    "tools.sessions.url": sys.argv[2],
}}
if sys.argv[3] != "default":
    conf["/s"]["tools.sessions.socket_timeout"] = float(sys.argv[3])
cherrypit.config.update({
    "environment": "production",
    "log.screen": False,
    "server.socket_host": "127.0.0.1",
    "server.socket_port": int(sys.argv[1]),
    "server.thread_pool": 10,
    "server.socket_queue_size": 64,
    "log.error_file": sys.argv[4],
})
cherrypit.tree.mount(Site(), "", conf)
cherrypit.engine.start()
print("ready", flush=True)
cherrypit.engine.block()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


Record = tuple[str, float, float, int]  # path, start, end, status (0: no answer)


def fetch(port: int, path: str, cookie: str | None, patience: float) -> tuple[int, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=patience)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Set-Cookie")
    except OSError:
        return 0, None
    finally:
        conn.close()


def client(port: int, path: str, stop: threading.Event, records: list[Record]) -> None:
    cookie: str | None = None
    while not stop.is_set():
        start = time.monotonic()
        status, set_cookie = fetch(port, path, cookie, patience=30)
        records.append((path, start, time.monotonic(), status))
        if set_cookie and status == 200:
            cookie = set_cookie.split(";")[0]
        if path == "/":
            stop.wait(0.05)


def summarize(records: list[Record], path: str, since: float, until: float) -> dict[str, object]:
    rows = [r for r in records if r[0] == path and since <= r[1] < until]
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[str(r[3])] = by_status.get(str(r[3]), 0) + 1
    times = [r[2] - r[1] for r in rows]
    slow = [r for r in rows if r[2] - r[1] > 3.0]
    return {
        "over_3s": len(slow),
        "over_3s_started_at": [(round(r[1] - since, 2), r[3]) for r in slow],
        "requests": len(rows),
        "by_status": by_status,
        "max_s": round(max(times), 3) if times else None,
        "median_s": round(statistics.median(times), 3) if times else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--freeze", type=float, default=8.0)
    parser.add_argument("--session-clients", type=int, default=12)
    parser.add_argument("--socket-timeout", default="default")
    parser.add_argument("--error-log", default="", help="the server's error log file")
    parser.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="redis-freeze-")
    redis_port, web_port = free_port(), free_port()
    redis_cmd = [args.redis_server, "--port", str(redis_port), "--bind", "127.0.0.1"]
    redis_cmd += ["--save", "", "--appendonly", "no", "--dir", workdir]
    redis = subprocess.Popen(redis_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    try:
        wait_for_port(redis_port)
        url = f"redis://127.0.0.1:{redis_port}/0"
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(web_port), url, args.socket_timeout, args.error_log],
            stdout=subprocess.PIPE,
            text=True,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"

        stop = threading.Event()
        records: list[Record] = []
        paths = ["/s/inc"] * args.session_clients + ["/"]
        threads = [
            threading.Thread(target=client, args=(web_port, p, stop, records)) for p in paths
        ]
        for t in threads:
            t.start()
        time.sleep(2.0)
        frozen_at = time.monotonic()
        redis.send_signal(signal.SIGSTOP)
        try:
            time.sleep(args.freeze)
        finally:
            resumed_at = time.monotonic()
            redis.send_signal(signal.SIGCONT)
        time.sleep(3.0)
        stop.set()
        for t in threads:
            t.join()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        redis.send_signal(signal.SIGCONT)
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    during = {
        "session": summarize(records, "/s/inc", frozen_at, resumed_at),
        "home": summarize(records, "/", frozen_at, resumed_at),
    }
    # Requests started a second after the resume: Redis is serving again.
    after = {"session": summarize(records, "/s/inc", resumed_at + 1.0, float("inf"))}
    for name, row in during.items():
        print(
            f"during the {args.freeze:g} s freeze, {name}: {row['requests']} requests "
            f"{row['by_status']}, slowest {row['max_s']} s, median {row['median_s']} s, "
            f"{row['over_3s']} over 3 s"
        )
    row = after["session"]
    print(f"after the resume, session: {row['requests']} requests {row['by_status']}")
    print(json.dumps({"freeze_s": args.freeze, "during": during, "after": after}))


if __name__ == "__main__":
    main()
