"""A served request is freed by reference counting alone: no cycles per request.

A cycle (the request holding its handler, the handler holding the request; an error's
traceback holding the frames that hold the request) keeps every request, its headers
and body alive until the garbage collector runs, which costs time on every request
and memory in between.  Each check runs in a fresh interpreter, so that nothing of the
test runner's own bookkeeping is counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from cherrypit._kernel import pluginmanager

SCRIPT = textwrap.dedent(
    """
    import gc, io, sys
    import cherrypit
    from cherrypit.testing import fresh_site

    class Root:
        @cherrypit.expose
        def index(self):
            return b"hello"

        @cherrypit.expose
        def item(self, n, q=""):
            return f"{n}:{q}".encode()

        @cherrypit.expose
        def moved(self):
            raise cherrypit.HTTPRedirect("/")

        @cherrypit.expose
        def broken(self):
            raise ValueError("boom")

    def serve(path, query):
        environ = {
            "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": path,
            "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50000",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
        }
        result = cherrypit.tree(environ, lambda status, headers, exc_info=None: None)
        body = b"".join(result)
        getattr(result, "close", lambda: None)()
        return body

    path, query, autoload = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    fresh_site(autoload=autoload)
    cherrypit.config.update({"log.screen": False})
    cherrypit.tree.mount(Root())
    serve(path, query)  # plans and caches are built outside the counted requests
    gc.collect()
    gc.disable()
    for _ in range(20):
        serve(path, query)
    print("encode" in cherrypit.tools, gc.collect())
    """
)


@pytest.mark.parametrize("autoload", [False, True], ids=["bare-kernel", "with-plugins"])
@pytest.mark.parametrize(
    ("path", "query"),
    [("/", ""), ("/item/5", "q=x"), ("/missing", ""), ("/moved", ""), ("/broken", "")],
    ids=["page", "params", "not-found", "redirect", "error"],
)
def test_requests_leave_nothing_for_the_collector(path: str, query: str, autoload: bool) -> None:
    # This folder's tests run without entry-point plugins; the child may load them.
    env = {k: v for k, v in os.environ.items() if k != pluginmanager.AUTOLOAD_ENV}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, path, query, "1" if autoload else "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    *_, has_tools, left = done.stdout.split()
    assert has_tools == str(autoload)  # the plugins were (not) there
    assert left == "0", "objects left for the garbage collector"
