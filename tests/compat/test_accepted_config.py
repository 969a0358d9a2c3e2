"""Config CherryPy 18 accepts runs unchanged, over HTTP; the misspelt names are warned
about once at start-up (stderr and error log), and ``checker.strict`` refuses them.

Each app starts the real server in a subprocess (the settings are process-wide).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

APP = """
import sys, urllib.request
from cherrypit.compat import install_cherrypy_alias
install_cherrypy_alias()
import cherrypy
from cherrypit.testing import free_port

class Root:
    @cherrypy.expose
    def index(self):
        cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
        return " ".join(
            repr(v) for v in (
                cherrypy.log.app_flag,
                cherrypy.server.environment,
                cherrypy.request.app_marker,
                cherrypy.session.timout,
            )
        )

port = free_port()
cherrypy.config.update({
    "server.socket_host": "127.0.0.1", "server.socket_port": port,
    "engine.autoreload.on": False, "log.screen": False,
    "log.error_file": sys.argv[1],
    "log.app_flag": "on",                 # read back by the app
    "server.environment": "staging",      # an attribute of the server
    "checker.strict": sys.argv[2] == "strict",
})
conf = {"/": {
    "tools.sessions.on": True,
    "tools.sessions.timout": 30,          # misspelt: CherryPy keeps the default
    "tools.sessions.storage_path": "/nonexistent",  # a file-storage key, harmless
    "tools.caching.on": True,
    "tools.caching.dealy": 5,             # set on the cache object
    "tools.nobody_registered.on": False,  # looked up only when on
    "request.app_marker": 7,              # set on the request
    "tool.gzip.on": True,                 # a namespace nobody owns: an app setting
}}
try:
    cherrypy.tree.mount(Root(), "", conf)  # strict: refused here already
    cherrypy.engine.start()
except cherrypy.ConfigError as exc:
    print("REFUSED", exc)
    cherrypy.engine.exit()
    sys.exit(3)
try:
    for _ in range(2):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            print(r.status, r.read().decode())
finally:
    cherrypy.engine.exit()
"""


def _run(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(APP), str(tmp_path / "error.log"), mode],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def test_cherrypy_accepted_keys_serve_and_warn_once(tmp_path: Path) -> None:
    result = _run(tmp_path, "lenient")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["200 'on' 'staging' 7 30"] * 2
    error_log = (tmp_path / "error.log").read_text()
    for text in (result.stderr, error_log):
        # One line per key, each named, with the did-you-mean; said once.
        assert text.count("tools.sessions.timout: not a setting of RamSession") == 1, text
        assert "(did you mean 'timeout'?)" in text
        assert text.count("tools.caching.dealy: not a setting of tools.caching") == 1
        assert "log.app_flag: not a known log setting" in text
        assert "server.environment: not a known server setting" in text
        assert text.count("[/] tool.gzip.on: unknown config namespace 'tool'") == 1
        assert "(did you mean 'tools'?)" in text
    assert "storage_path" not in result.stderr
    assert "nobody_registered" not in result.stderr


def test_checker_strict_refuses_them_at_start_up(tmp_path: Path) -> None:
    result = _run(tmp_path, "strict")
    assert result.returncode == 3, result.stdout + result.stderr
    refused = result.stdout
    assert refused.startswith("REFUSED ")
    assert "[/] tools.sessions.timout: not a setting of RamSession (did you mean 'timeout'?)" in (
        refused
    )
    assert "(checker.strict is on)" in refused
    assert "[/] tools.caching.dealy: not a setting of tools.caching" in refused
    assert "[/] tool.gzip.on: unknown config namespace 'tool'" in refused
