"""The HTTP benchmark's servers answer every case over a real socket and stop cleanly.

cherrypit (its own server plugin) and the bare WSGI callable on plain cheroot run
here: both need only the project's dependencies.  wrk is not needed.
"""

from __future__ import annotations

import sys

import pytest

from bench.over_http import APPS, Server, check_reply


@pytest.mark.parametrize("framework", ["cherrypit", "raw"])
@pytest.mark.parametrize("app", APPS)
def test_server_answers_the_case(framework: str, app: str) -> None:
    server = Server(sys.executable, framework, app, threads=2)
    try:
        with server:
            check_reply(server.port, app)
            check_reply(server.port, app)  # a second request on a fresh connection
            server.stop()
            assert server.proc.returncode is not None
            assert "Traceback" not in server.stderr()
    finally:
        server.close()
