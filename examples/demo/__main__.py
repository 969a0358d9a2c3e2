"""``python -m examples.demo``: serve the demo site until interrupted.

The address comes from ``DEMO_HOST`` / ``DEMO_PORT`` (default ``127.0.0.1:8080``;
port ``0`` lets the system choose).  The URL being served is printed once the server
listens.
"""

from __future__ import annotations

import os

import cherrypit as cherrypy
from examples.demo.app import CONFIG_PATH, root


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
    # [global] of site.conf configures the site; the environment overrides the address.
    cherrypy.config.update(str(CONFIG_PATH))
    cherrypy.config.update({"server.socket_host": host, "server.socket_port": port})
    cherrypy.tree.mount(root, "", str(CONFIG_PATH))
    cherrypy.engine.signals.subscribe()
    cherrypy.engine.start()
    bound_host, bound_port = cherrypy.server.bound_addr[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"cherrypit demo serving on http://{shown}:{bound_port}/", flush=True)
    cherrypy.engine.block()


if __name__ == "__main__":
    main()
