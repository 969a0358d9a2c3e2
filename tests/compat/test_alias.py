"""The opt-in ``import cherrypy`` alias (:mod:`cherrypit.compat`).

The alias changes ``sys.meta_path`` and ``sys.modules`` for the whole process, so the
end-to-end check runs a CherryPy script in a subprocess.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator

import pytest

from cherrypit import compat

SCRIPT = textwrap.dedent(
    """
    import sys
    from cherrypit.compat import install_cherrypy_alias

    install_cherrypy_alias()
    install_cherrypy_alias()  # idempotent

    import cherrypy
    from cherrypy.lib.httputil import HeaderMap
    from cherrypy.process.plugins import Monitor
    import cherrypy._cperror
    from cherrypy import _cpserver

    import cherrypit
    import cherrypit.lib.httputil
    import cherrypit.process.plugins

    assert cherrypy is cherrypit
    assert HeaderMap is cherrypit.lib.httputil.HeaderMap
    assert Monitor is cherrypit.process.plugins.Monitor
    assert sys.modules["cherrypy.lib.httputil"] is sys.modules["cherrypit.lib.httputil"]
    assert cherrypy._cperror.HTTPError is cherrypit.HTTPError
    assert _cpserver.Server.__module__.startswith("cherrypit_server")

    try:
        import cherrypy.no_such_module
    except ModuleNotFoundError as exc:
        assert exc.name == "cherrypy.no_such_module", exc.name
    else:
        raise AssertionError("a missing submodule must not import")

    class Root:
        @cherrypy.expose
        def index(self):
            return "served by " + cherrypy.__name__

    cherrypy.tree.mount(Root())
    from cherrypit.testing import Client
    print(Client().get("/").text)
    """
)


def test_cherrypy_script_runs_on_cherrypit_in_a_subprocess() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "served by cherrypit"


@pytest.fixture
def clean_alias() -> Iterator[None]:
    compat.uninstall_cherrypy_alias()
    try:
        yield
    finally:
        compat.uninstall_cherrypy_alias()


def test_refuses_when_the_real_cherrypy_is_imported(
    clean_alias: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = types.ModuleType("cherrypy")
    real.__file__ = "/site-packages/cherrypy/__init__.py"
    monkeypatch.setitem(sys.modules, "cherrypy", real)
    with pytest.raises(RuntimeError, match="real CherryPy is already imported"):
        compat.install_cherrypy_alias()
    assert not compat.alias_installed()


def test_install_is_idempotent_and_uninstall_forgets_alias_modules(
    clean_alias: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "cherrypy", raising=False)
    compat.install_cherrypy_alias()
    compat.install_cherrypy_alias()
    finders = [f for f in sys.meta_path if isinstance(f, compat.CherrypyAliasFinder)]
    assert len(finders) == 1
    import cherrypit.lib.locking

    alias = __import__("cherrypy.lib.locking", fromlist=["LockChecker"])
    assert alias is cherrypit.lib.locking
    compat.uninstall_cherrypy_alias()
    assert not compat.alias_installed()
    assert "cherrypy" not in sys.modules
    assert "cherrypy.lib.locking" not in sys.modules
    assert sys.modules["cherrypit.lib.locking"] is cherrypit.lib.locking


RUN_AS_MAIN = textwrap.dedent(
    """
    import runpy, sys
    from cherrypit.compat import install_cherrypy_alias

    install_cherrypy_alias()
    import cherrypit
    sys.argv = ["cherrypy", *sys.argv[1:]]
    runpy.run_module("cherrypy", run_name="__main__", alter_sys=True)
    """
)


def test_python_dash_m_cherrypy_runs_through_the_alias() -> None:
    # What `python -m cherrypy ...` does once the alias is installed at start-up
    # (sitecustomize): runpy needs the code of the aliased package's __main__.
    result = subprocess.run(
        [sys.executable, "-c", RUN_AS_MAIN, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "usage: cherryd" in result.stdout
    assert "--import" in result.stdout


def test_importing_through_the_alias_keeps_the_module_s_own_spec(
    clean_alias: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cherrypit.lib.reprconf

    monkeypatch.delitem(sys.modules, "cherrypy.lib.reprconf", raising=False)
    compat.install_cherrypy_alias()
    alias = importlib.import_module("cherrypy.lib.reprconf")

    assert alias is cherrypit.lib.reprconf
    assert alias.__spec__ is not None
    assert alias.__spec__.name == "cherrypit.lib.reprconf"
    # A package's alias spec says it is one (runpy then looks for its __main__).
    package = compat.CherrypyAliasFinder().find_spec("cherrypy.lib")
    assert package is not None and package.submodule_search_locations is not None
