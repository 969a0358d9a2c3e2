"""CherryPy internals that applications replace: the replacement takes effect, start-up
survives it.

Each app patches process-wide module state, so it runs in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _run(script: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_patched_parser_as_dict_reads_the_config_file(tmp_path: Path) -> None:
    # The pattern: keep values as raw strings instead of evaluating them.
    (tmp_path / "site.conf").write_text(
        "[global]\nserver.socket_host = '127.0.0.1'\napp.greeting = hello world\n"
    )
    out = _run(
        """
        from cherrypit.compat import install_cherrypy_alias
        install_cherrypy_alias()
        import cherrypy
        import cherrypy.lib.reprconf

        calls = []

        def as_dict(self, raw=False, vars=None):
            calls.append(self)
            result = {}
            for section in self.sections():
                result[section] = {
                    option: self.get(section, option, raw=True).strip("'")
                    for option in self.options(section)
                }
            return result

        cherrypy.lib.reprconf.Parser.as_dict = as_dict
        cherrypy.config.update("site.conf")
        print(len(calls), repr(cherrypy.config["app.greeting"]))
        """,
        tmp_path,
    )
    # Unpatched, "hello world" is not a Python expression and the update fails.
    assert out.split() == ["1", "'hello", "world'"]


def test_two_argument_wait_for_occupied_port_does_not_break_start_up(tmp_path: Path) -> None:
    out = _run(
        """
        import urllib.request
        from cherrypit.compat import install_cherrypy_alias
        install_cherrypy_alias()
        import cherrypy
        import cherrypy.lib.reprconf
        from cherrypy.process import servers
        from cherrypit.testing import free_port

        called = []

        def wait_for_occupied_port(host, port):  # the signature of CherryPy 3.1
            called.append((host, port))

        def wait_for_free_port(host, port):
            called.append((host, port))

        servers.wait_for_occupied_port = wait_for_occupied_port
        servers.wait_for_free_port = wait_for_free_port

        class Root:
            @cherrypy.expose
            def index(self):
                return "up"

        port = free_port()
        cherrypy.config.update(
            {"server.socket_host": "127.0.0.1", "server.socket_port": port,
             "log.screen": False, "engine.autoreload.on": False}
        )
        cherrypy.tree.mount(Root())
        cherrypy.engine.start()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
                print(r.read().decode(), len(called))
        finally:
            cherrypy.engine.exit()
        """,
        tmp_path,
    )
    # CherryPy 18 never calls these during start or stop.
    assert out.split() == ["up", "0"]
