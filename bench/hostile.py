"""Probe: malformed and ambiguous requests — any 5xx, hang, or connection left open?

::

    .venv/bin/python bench/hostile.py
    .venv/bin/python bench/hostile.py --python ~/.cache/cherrypit-conformance/venv/bin/python

A server (production settings) is started in a subprocess with ``--python`` (CherryPy
when that interpreter has it, else cherrypit).  Each case is sent on its own
connection, which the client then half-closes; the reply is read for up to
``--patience`` seconds.  A case counts as a *5xx* when any answer is 5xx (but 505 HTTP Version Not
Supported, the protocol's answer to ``HTTP/9.9``), a *hang* when
nothing came back in time, *smuggled* when a second request hidden in the bytes was
answered, and *kept open* when a 4xx framing error left the connection open.  The
last line is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
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
        return "home"

    @cherrypy.expose
    def raw(self):
        return "read %d" % len(cherrypy.request.body.read())

    @cherrypy.expose
    def form(self, **params):
        return "form"

    @cherrypy.expose
    def params(self, **params):
        return "params " + ",".join(sorted(params))

cherrypy.config.update({
    "environment": "production",
    "log.screen": False,
    "server.socket_host": "127.0.0.1",
    "server.socket_port": int(sys.argv[1]),
})
cherrypy.tree.mount(Root(), "")
cherrypy.engine.start()
print("ready", cherrypy.__name__, flush=True)
cherrypy.engine.block()
"""

STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")
SMUGGLED = b"GET /params?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n"


def chunked(body: bytes) -> bytes:
    return (
        b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + body
    )


def with_header(line: bytes) -> bytes:
    return b"GET / HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n\r\n" + SMUGGLED


CASES: dict[str, bytes] = {
    "chunked: not hex": chunked(b"zz\r\nhello\r\n0\r\n\r\n"),
    "chunked: negative": chunked(b"-5\r\nhello\r\n0\r\n\r\n"),
    "chunked: huge size": chunked(b"f" * 40 + b"\r\nhello\r\n0\r\n\r\n"),
    "chunked: 16 hex digits": chunked(b"ffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
    "chunked: two numbers": chunked(b"1 2\r\nh\r\n0\r\n\r\n"),
    "chunked: empty size": chunked(b"\r\nhello\r\n0\r\n\r\n"),
    "chunked: NUL": chunked(b"5\x00\r\nhello\r\n0\r\n\r\n"),
    "chunked: bare LF": chunked(b"5\nhello\n0\n\n"),
    "chunked: no CRLF after data": chunked(b"5\r\nhelloXY0\r\n\r\n"),
    "chunked: data longer than declared": chunked(b"3\r\nhello\r\n0\r\n\r\n"),
    "chunked: no last chunk": chunked(b"5\r\nhello\r\n"),
    "chunked: truncated data": chunked(b"10\r\nhello"),
    "CL + TE": (
        b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 46\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
    ),
    "TE on HTTP/1.0": (
        b"POST /raw HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED
    ),
    "CL 3 then 40": (
        b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc"
        + SMUGGLED
    ),
    "CL 40 then 3": (
        b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nContent-Length: 3\r\n\r\nabc"
        + SMUGGLED
    ),
    "CL +3": b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc" + SMUGGLED,
    "CL -1": b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + SMUGGLED,
    "CL hex": b"POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc" + SMUGGLED,
    "NUL in a header name": with_header(b"X-A\x00b: v"),
    "CR in a header name": with_header(b"X-A\rb: v"),
    "space in a header name": with_header(b"X A: v"),
    "space before the colon": with_header(b"X-A : v"),
    "NUL in a header value": with_header(b"X-A: a\x00b"),
    "CR in a header value": with_header(b"X-A: a\rb"),
    "control byte in a header value": with_header(b"X-A: a\x01b"),
    "DEL in a header value": with_header(b"X-A: a\x7fb"),
    "leading folded line": b"GET / HTTP/1.1\r\n folded\r\nHost: x\r\n\r\n",
    "bare LF head": b"GET / HTTP/1.1\nHost: x\n\n",
    "no HTTP version": b"GET /\r\n\r\n",
    "bad version": b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    "bad method": b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n",
    "space in the target": b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "NUL in the target": b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad percent escape": b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
    "encoded NUL": b"GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n",
    "invalid UTF-8 path": b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
    "40,000 segments": b"GET " + b"/a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "huge head": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 600_000 + b"\r\n\r\n",
    "empty": b"",
    "garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),
}


def send(port: int, payload: bytes, patience: float) -> tuple[bytes, bool, bool]:
    """The reply, whether the server closed the connection, and whether it timed out."""
    with socket.create_connection(("127.0.0.1", port), timeout=patience) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        data = b""
        deadline = time.monotonic() + patience
        try:
            while time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    return data, True, False
                data += chunk
        except TimeoutError:
            return data, False, True
        except ConnectionResetError:
            return data, True, False
    return data, False, True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--patience", type=float, default=5.0)
    args = parser.parse_args()
    port = free_port()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    server = subprocess.Popen(
        [args.python, "-c", SERVER, str(port)], stdout=subprocess.PIPE, text=True, env=env
    )
    rows = []
    try:
        assert server.stdout is not None
        line = server.stdout.readline().split()
        framework = line[1] if len(line) > 1 else "?"
        for name, payload in CASES.items():
            data, closed, hung = send(port, payload, args.patience)
            statuses = [int(code) for code in STATUS.findall(data)]
            rows.append(
                {
                    "case": name,
                    "statuses": statuses,
                    "5xx": any(s >= 500 and s != 505 for s in statuses),
                    "hang": not statuses and hung,
                    "smuggled": b"smuggled" in data,
                    "kept_open": bool(statuses) and statuses[0] == 400 and not closed,
                }
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    for row in rows:
        flags = [k for k in ("5xx", "hang", "smuggled", "kept_open") if row[k]]
        print(f"{framework}: {row['case']:<36} {row['statuses']} {' '.join(flags)}")
    totals = {k: sum(1 for r in rows if r[k]) for k in ("5xx", "hang", "smuggled", "kept_open")}
    print(f"{framework}: {len(rows)} cases, " + ", ".join(f"{v} {k}" for k, v in totals.items()))
    print(json.dumps({"framework": framework, "cases": len(rows), **totals}))


if __name__ == "__main__":
    main()
