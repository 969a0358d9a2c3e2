"""A tiny cherrypit application whose sessions live in Redis.

Run as ``python redis_app.py <port> <redis url>``: it serves on 127.0.0.1:<port> until
SIGTERM.  The two-process test starts it twice, on two ports, sharing one Redis.
"""

from __future__ import annotations

import os
import sys
import time

import cherrypit


class Root:
    @cherrypit.expose
    def inc(self) -> str:
        value = cherrypit.session.get("n", 0)
        time.sleep(0.002)  # widen the race window; the session lock must cover it
        cherrypit.session["n"] = value + 1
        return f"{os.getpid()} {value + 1}"

    @cherrypit.expose
    def get(self) -> str:
        return f"{os.getpid()} {cherrypit.session.get('n')}"

    @cherrypit.expose
    def ping(self) -> str:
        return "pong"


def main() -> None:
    port, redis_url = int(sys.argv[1]), sys.argv[2]
    cherrypit.config.update(
        {
            "server.socket_host": "127.0.0.1",
            "server.socket_port": port,
            "server.thread_pool": 16,
            "log.screen": False,
        }
    )
    config = {
        "/": {
            "tools.sessions.on": True,
            "tools.sessions.storage_type": "redis",
            "tools.sessions.url": redis_url,
            "tools.sessions.locking": "implicit",
        }
    }
    cherrypit.quickstart(Root(), "", config)


if __name__ == "__main__":
    main()
