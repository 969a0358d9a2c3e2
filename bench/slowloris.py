"""Probe: does a normal client still get answers while slow clients hold connections?

::

    .venv/bin/python bench/slowloris.py                      # cherrypit, 100 slow connections, 30 s
    .venv/bin/python bench/slowloris.py --python ~/.cache/cherrypit-conformance/venv/bin/python
    .venv/bin/python bench/slowloris.py --body --connections 50 --duration 20
    .venv/bin/python bench/slowloris.py --body --body-length 1000000   # above the body buffer
    .venv/bin/python bench/slowloris.py --chunked

A server (10 worker threads, production settings) is started in a subprocess with
``--python`` (CherryPy when that interpreter has it, else cherrypit).  ``--connections``
attackers each open a connection and send a request head (or, with ``--body``, a body
of ``--body-length`` bytes; with ``--chunked``, a chunked body) one byte a second,
reconnecting whenever the server closes on them.  Meanwhile one normal client sends
``GET /`` on a fresh connection every 0.1 s and counts the answers that arrive within
``--patience`` seconds.  The last line is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time

SERVER = """
import sys
try:
    import cherrypy
except ImportError:
    import cherrypit as cherrypy

class Root:
    @cherrypy.expose
    def index(self):
        return "ok"

    @cherrypy.expose
    def upload(self, **params):
        return "got " + str(len(cherrypy.request.body.read() or b""))

cherrypy.config.update({
    "environment": "production",
    "log.screen": False,
    "server.socket_host": "127.0.0.1",
    "server.socket_port": int(sys.argv[1]),
    "server.thread_pool": 10,
})
cherrypy.tree.mount(Root(), "")
cherrypy.engine.start()
print("ready", cherrypy.__name__, flush=True)
cherrypy.engine.block()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def attacker(port: int, body: int, chunked: bool, stop: threading.Event) -> None:
    if chunked:
        head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        drip = b"1\r\nx\r\n"
    elif body:
        head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        head += b"Content-Length: %d\r\n\r\n" % body
        drip = b"x"
    else:
        head = b"GET / HTTP/1.1\r\nHost: x\r\n"
        drip = b"a"
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                whole_head = body or chunked
                s.sendall(head if whole_head else head[:1])
                rest = drip if chunked else b"" if whole_head else head[1:] + b"X-Slow: "
                while not stop.is_set():
                    if not rest and chunked:
                        rest = drip
                    s.sendall(rest[:1] if rest else drip)
                    rest = rest[1:]
                    stop.wait(1.0)
        except OSError:
            stop.wait(0.1)


def normal_client(port: int, patience: float, stop: threading.Event, results: list[bool]) -> None:
    request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    while not stop.is_set():
        ok = False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=patience) as s:
                deadline = time.monotonic() + patience
                s.sendall(request)
                data = b""
                while b"\r\n\r\n" not in data and time.monotonic() < deadline:
                    s.settimeout(max(0.01, deadline - time.monotonic()))
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                ok = data.startswith(b"HTTP/1.1 200")
        except OSError:
            ok = False
        results.append(ok)
        stop.wait(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--patience", type=float, default=3.0)
    parser.add_argument("--body", action="store_true", help="drip the body instead of the head")
    parser.add_argument("--body-length", type=int, default=10000, help="Content-Length sent")
    parser.add_argument("--chunked", action="store_true", help="drip a chunked body")
    args = parser.parse_args()

    port = free_port()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    server = subprocess.Popen(
        [args.python, "-c", SERVER, str(port)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().split()
        framework = line[1] if len(line) > 1 else "?"
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=attacker,
                args=(port, args.body_length if args.body else 0, args.chunked, stop),
                daemon=True,
            )
            for _ in range(args.connections)
        ]
        for t in threads:
            t.start()
        time.sleep(2.0)  # let the attack take hold first
        results: list[bool] = []
        client = threading.Thread(target=normal_client, args=(port, args.patience, stop, results))
        client.start()
        time.sleep(args.duration)
        stop.set()
        client.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    mode = "chunked body" if args.chunked else "body" if args.body else "head"
    answered = sum(results)
    share = 100.0 * answered / len(results) if results else 0.0
    print(f"{framework}: {answered}/{len(results)} requests answered within {args.patience:g} s "
          f"({share:.1f}%) during {args.connections} slow connections "
          f"({mode})")
    print(json.dumps({
        "framework": framework,
        "connections": args.connections,
        "mode": mode,
        "answered": answered, "sent": len(results), "percent": round(share, 1),
    }))


if __name__ == "__main__":
    main()
