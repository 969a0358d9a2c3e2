"""``python -m examples.demo``: serve the demo until interrupted.

``DEMO_HOST`` / ``DEMO_PORT`` choose the address (default ``127.0.0.1:8080``; port ``0``
lets the system choose), ``DEMO_DATA_DIR`` the data directory (default
``examples/demo/data``, created on first start) and ``DEMO_LOG_FORMAT`` the log format
(``console`` or ``json``).  The URL being served is printed once the server listens.
"""

from __future__ import annotations

import os

import cherrypit as cherrypy
from examples.demo.app import CONFIG_PATH, data_dir_from_env, mount


def server_address() -> tuple[str, int]:
    """The host and port to listen on, from the environment."""
    host = os.environ.get("DEMO_HOST", "127.0.0.1")
    raw_port = os.environ.get("DEMO_PORT", "8080")
    try:
        port = int(raw_port)
    except ValueError:
        raise SystemExit(f"DEMO_PORT must be a port number, not {raw_port!r}") from None
    return host, port


def main() -> None:
    host, port = server_address()
    # [global] of site.conf configures the site; the environment overrides it.
    cherrypy.config.update(str(CONFIG_PATH))
    overrides: dict[str, object] = {"server.socket_host": host, "server.socket_port": port}
    if os.environ.get("DEMO_LOG_FORMAT"):
        overrides["log.format"] = os.environ["DEMO_LOG_FORMAT"]
    cherrypy.config.update(overrides)
    data_dir = data_dir_from_env()
    mount(data_dir)
    cherrypy.engine.signals.subscribe()
    cherrypy.engine.start()
    bound_host, bound_port = cherrypy.server.bound_addr[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(
        f"cherrypit demo serving on http://{shown}:{bound_port}/ (data in {data_dir})", flush=True
    )
    cherrypy.engine.block()


if __name__ == "__main__":
    main()
