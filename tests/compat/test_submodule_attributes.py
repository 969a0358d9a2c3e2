"""Submodules are attributes of their package right after ``import cherrypy``.

CherryPy's ``import cherrypy`` imports most of its modules, so applications write
``cherrypy.lib.caching.expires(0)`` with no import of ``cherrypy.lib.caching``.
cherrypit reaches the same modules lazily (PEP 562), by one rule for every package:
any submodule of a package is an attribute of it.  The alias and a plain
``sys.modules['cherrypy'] = cherrypit`` change each process for good, so those checks
run in subprocesses.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import cherrypit
import cherrypit.lib
import cherrypit.process
from cherrypit.testing import free_port

#: The modules CherryPy 18.10's ``import cherrypy`` loads, each reachable as an
#: attribute chain from the top package.
CHERRYPY_IMPORT_TIME_MODULES = (
    "_cpchecker",
    "_cpcompat",
    "_cpconfig",
    "_cpdispatch",
    "_cperror",
    "_cplogging",
    "_cpreqbody",
    "_cprequest",
    "_cpserver",
    "_cptools",
    "_cptree",
    "_cpwsgi",
    "_helper",
    "lib",
    "lib.auth_basic",
    "lib.auth_digest",
    "lib.caching",
    "lib.cptools",
    "lib.encoding",
    "lib.headers",
    "lib.httputil",
    "lib.jsontools",
    "lib.locking",
    "lib.reprconf",
    "lib.sessions",
    "lib.static",
    "lib.xmlrpcutil",
    "process",
    "process.plugins",
    "process.servers",
    "process.wspbus",
)

#: Modules that belong to plugins or to the HTTP server: none may be imported by
#: ``import cherrypit`` or by reaching a compat module as an attribute.
FORBIDDEN_AT_IMPORT = (
    "cheroot",
    "structlog",
    "cherrypit_server",
    "cherrypit_tools",
    "cherrypit_sessions",
    "cherrypit_static",
    "cherrypit_templates",
    "cherrypit_autoreload",
    "cherrypit_logging",
)


def _run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("package", [cherrypit, cherrypit.lib, cherrypit.process])
def test_every_submodule_of_a_package_is_an_attribute_listed_by_dir(
    package: types.ModuleType,
) -> None:
    names = [i.name for i in pkgutil.iter_modules(package.__path__) if i.name != "__main__"]
    assert names
    listed = dir(package)
    for name in names:
        assert name in listed, name
        module = getattr(package, name)
        assert module is importlib.import_module(f"{package.__name__}.{name}"), name


def test_unknown_names_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_module"):
        cherrypit.lib.no_such_module  # noqa: B018
    with pytest.raises(AttributeError, match="no_such_module"):
        cherrypit.process.no_such_module  # noqa: B018
    assert not hasattr(cherrypit, "__no_such_dunder__")


REACH_SCRIPT = """
import sys

mode = sys.argv[1]
if mode == "alias":
    from cherrypit.compat import install_cherrypy_alias

    install_cherrypy_alias()
    import cherrypy
elif mode == "sys.modules":
    import cherrypit

    sys.modules["cherrypy"] = cherrypit
    import cherrypy
else:
    import cherrypit as cherrypy

import cherrypit

missing = []
for dotted in sys.argv[2].split(","):
    obj = cherrypy
    try:
        for part in dotted.split("."):
            obj = getattr(obj, part)
    except AttributeError as exc:
        missing.append(f"{dotted}: {exc}")
        continue
    if obj is not sys.modules["cherrypit." + dotted]:
        missing.append(f"{dotted}: not the module")
assert not missing, missing
assert cherrypy.process.bus is cherrypit.engine
assert cherrypy.process.wspbus.bus is cherrypit.engine
print("ok")
"""


@pytest.mark.parametrize("mode", ["import", "alias", "sys.modules"])
def test_cherrypy_import_time_modules_are_reachable_by_attribute(mode: str) -> None:
    result = _run(REACH_SCRIPT, mode, ",".join(CHERRYPY_IMPORT_TIME_MODULES))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


LAZY_SCRIPT = """
import sys

import cherrypit

forbidden = sys.argv[1].split(",")

def loaded():
    return sorted(
        m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden)
    )

assert loaded() == [], ("import cherrypit", loaded())
# Reaching the compat modules (not their plugin-backed names) stays lazy too.
cherrypit.lib.caching, cherrypit.lib.sessions, cherrypit.lib.static, cherrypit._cpserver
cherrypit.process.servers, cherrypit._cptools, cherrypit._cpwsgi_server
dir(cherrypit), dir(cherrypit.lib), dir(cherrypit.process)
assert loaded() == [], ("attribute access", loaded())
print("ok")
"""


def test_import_cherrypit_and_reaching_compat_modules_load_no_plugin() -> None:
    result = _run(LAZY_SCRIPT, ",".join(FORBIDDEN_AT_IMPORT))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# A CherryPy application written against the modules ``import cherrypy`` loads: it
# imports no submodule, and serves real HTTP on its own port.
APP_SCRIPT = """
import http.client
import sys
import urllib.request

from cherrypit.compat import install_cherrypy_alias

install_cherrypy_alias()
import cherrypy

port, storage = int(sys.argv[1]), sys.argv[2]


class Root:
    @cherrypy.expose
    def fresh(self):
        cherrypy.response.headers["ETag"] = '"v1"'
        cherrypy.lib.caching.expires(0)
        return "fresh"

    @cherrypy.expose
    def basic(self):
        return "basic " + cherrypy.request.login

    @cherrypy.expose
    def digest(self):
        return "digest " + cherrypy.request.login

    @cherrypy.expose
    def count(self):
        cherrypy.session["n"] = cherrypy.session.get("n", 0) + 1
        return str(cherrypy.session["n"])


users = {"ann": "secret"}
config = {
    "/basic": {
        "tools.auth_basic.on": True,
        "tools.auth_basic.realm": "site",
        "tools.auth_basic.checkpassword": cherrypy.lib.auth_basic.checkpassword_dict(users),
    },
    "/digest": {
        "tools.auth_digest.on": True,
        "tools.auth_digest.realm": "site",
        "tools.auth_digest.get_ha1": cherrypy.lib.auth_digest.get_ha1_dict_plain(users),
        "tools.auth_digest.key": "a565c27146791cfb",
    },
    "/count": {
        "tools.sessions.on": True,
        "tools.sessions.storage_class": cherrypy.lib.sessions.FileSession,
        "tools.sessions.storage_path": storage,
    },
}
cherrypy.config.update(
    {"server.socket_host": "127.0.0.1", "server.socket_port": port, "log.screen": False}
)
cherrypy.tree.mount(Root(), "", config)
cherrypy.engine.start()
try:
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(base + "/fresh") as reply:
        print("fresh", reply.status, reply.headers["Cache-Control"], reply.read().decode())

    for path, handler_class in (
        ("/basic", urllib.request.HTTPBasicAuthHandler),
        ("/digest", urllib.request.HTTPDigestAuthHandler),
    ):
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, base, "ann", "secret")
        opener = urllib.request.build_opener(handler_class(passwords))
        with opener.open(base + path) as reply:
            print(path[1:], reply.status, reply.read().decode())

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/count")
    first = conn.getresponse()
    cookie = first.headers["Set-Cookie"].split(";", 1)[0]
    print("count", first.status, first.read().decode())
    conn.request("GET", "/count", headers={"Cookie": cookie})
    second = conn.getresponse()
    print("count", second.status, second.read().decode())
    conn.close()
finally:
    cherrypy.engine.exit()
"""


def test_app_using_lib_modules_without_importing_them(tmp_path: Path) -> None:
    storage = tmp_path / "sessions"
    storage.mkdir()
    result = _run(APP_SCRIPT, str(free_port()), str(storage))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("fresh 200 no-cache") and lines[0].endswith(" fresh")
    assert lines[1] == "basic 200 basic ann"
    assert lines[2] == "digest 200 digest ann"
    # The FileSession named through cherrypy.lib.sessions keeps the count on disk.
    assert lines[3:] == ["count 200 1", "count 200 2"]
    assert [p.name for p in storage.iterdir() if not p.name.endswith(".lock")]
