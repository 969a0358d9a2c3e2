"""Probe: CPU time of one request whose path has very many segments.

::

    .venv/bin/python bench/long_path.py                      # cherrypit
    .venv/bin/python bench/long_path.py --python ~/.cache/cherrypit-conformance/venv/bin/python
    .venv/bin/python bench/long_path.py --segments 10000,40000,80000 --no-cap

The framework's WSGI callable is called in a subprocess run by ``--python`` (CherryPy
when that interpreter has it, else cherrypit) with ``GET /a/a/.../a`` of each
``--segments`` count (2 bytes a segment: 40,000 segments are 80 kB, inside the default
head limit), on a site in production settings with one config section besides ``/``.
Two shapes: ``missing``, where the root has no ``a`` (the walk can stop at once), and
``found``, where ``a`` is the node itself (every segment is a real lookup).  With
``--no-cap`` cherrypit's ``request.max_path_segments`` is 0, so the whole walk is
measured instead of the 414.  Each figure is the process CPU time of one request, the
best of ``--repeat``.  The last line is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

WORKER = """
import io, json, sys, time
try:
    import cherrypy
except ImportError:
    import cherrypit as cherrypy

segments = [int(n) for n in sys.argv[1].split(",")]
no_cap = sys.argv[2] == "1"
repeat = int(sys.argv[3])

class Missing:
    @cherrypy.expose
    def index(self):
        return "home"

class Found:
    @cherrypy.expose
    def index(self):
        return "found"

Found.a = Found()

cherrypy.config.update({"environment": "production", "log.screen": False})
shapes = {"missing": Missing(), "found": Found()}
for name, root in shapes.items():
    conf = {"/": {}, "/elsewhere": {"tools.gzip.on": True}}
    if no_cap:
        conf["/"]["request.max_path_segments"] = 0
    cherrypy.tree.mount(root, "/" + name, conf)

def call(path):
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "5000", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "HTTP_HOST": "127.0.0.1",
    }
    status = []
    body = cherrypy.tree(environ, lambda s, h, e=None: status.append(s))
    try:
        b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return status[0].split()[0]

results = []
for shape in shapes:
    for count in segments:
        path = "/" + shape + "/a" * count
        best = None
        for _ in range(repeat):
            start = time.process_time()
            status = call(path)
            spent = time.process_time() - start
            best = spent if best is None else min(best, spent)
        results.append({"shape": shape, "segments": count, "status": status,
                        "cpu_s": round(best, 4)})
print(json.dumps({"framework": cherrypy.__name__, "results": results}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--segments", default="10000,20000,40000")
    parser.add_argument("--no-cap", action="store_true", help="request.max_path_segments = 0")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    out = subprocess.run(
        [args.python, "-c", WORKER, args.segments, "1" if args.no_cap else "0", str(args.repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    for row in summary["results"]:
        print(
            f"{summary['framework']}: {row['shape']:>7} {row['segments']:>6} segments -> "
            f"{row['status']} in {row['cpu_s']:.4f} s CPU"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
