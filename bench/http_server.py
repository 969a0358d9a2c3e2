"""Serve one benchmark app over HTTP, for ``bench/over_http.py`` (and its test).

::

    python bench/http_server.py --framework cherrypit --app hello --port 8080

cherrypit and CherryPy run the way their users run them: the app mounted on the
site, the engine started with its built-in HTTP server (both are cheroot).  Falcon,
Bottle and the bare WSGI callable ("raw": cheroot's own ceiling) run under
``cheroot.wsgi.Server``.  Everyone gets the same thread count and no access log.
The process prints ``ready`` once it accepts connections and stops cleanly on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

FRAMEWORKS = ("cherrypit", "cherrypy", "falcon", "bottle", "raw")


def _serve_cherrypy_api(framework: str, app: str, port: int, threads: int) -> None:
    if framework == "cherrypit":
        sys.modules["cherrypy"] = None  # type: ignore[assignment]
    from bench import apps

    cherrypy = apps.cherrypy
    if apps.framework_name() != framework:
        raise SystemExit(f"{sys.executable} has {apps.framework_name()}, not {framework}")
    apps.mount(app)
    cherrypy.config.update(
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": port,
            "server.thread_pool": threads,
            "log.screen": False,
            "log.access_file": "",
            "engine.autoreload.on": False,
        }
    )
    cherrypy.engine.signal_handler.unsubscribe()

    def stop(signum: int, frame: Any) -> None:
        # Not in the handler itself: the engine's exit joins threads.
        threading.Thread(target=cherrypy.engine.exit).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    cherrypy.engine.start()
    print("ready", flush=True)
    cherrypy.engine.block()


def _serve_peer(framework: str, app: str, port: int, threads: int) -> None:
    import cheroot.wsgi

    from bench import peers

    peers.select(framework)
    server = cheroot.wsgi.Server(("127.0.0.1", port), peers.mount(app), numthreads=threads)

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.stop).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.prepare()
    print("ready", flush=True)
    server.serve()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--framework", choices=FRAMEWORKS, required=True)
    parser.add_argument("--app", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=10)
    args = parser.parse_args(argv)
    if args.framework in ("cherrypit", "cherrypy"):
        _serve_cherrypy_api(args.framework, args.app, args.port, args.threads)
    else:
        _serve_peer(args.framework, args.app, args.port, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
