"""``cherrypy.__version__`` passes the checks CherryPy 18 applications make.

``cherrypit.__version__`` is the CherryPy API level cherrypit implements; cherrypit's
own release number is ``cherrypit.VERSION``, read from the package metadata.  The
alias and ``sys.modules['cherrypy'] = cherrypit`` change the process for good, so
those run in subprocesses.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib import metadata

import pytest
from packaging.version import Version

import cherrypit
from cherrypit._kernel import request as kernel_request
from cherrypit.cli import build_parser


def test_version_is_the_cherrypy_api_level() -> None:
    assert cherrypit.__version__ == "18.10.0"
    assert "__version__" in cherrypit.__all__


def test_cherrypit_version_comes_from_the_package_metadata() -> None:
    assert cherrypit.VERSION == metadata.version("cherrypit")
    assert "VERSION" in cherrypit.__all__
    assert Version(cherrypit.VERSION) < Version("18")  # never mistaken for the API level


def test_cherrypit_identifies_itself_by_its_own_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--version"])
    assert capsys.readouterr().out.split() == ["cherrypit", cherrypit.VERSION]
    assert kernel_request.SERVER_HEADER == f"cherrypit/{cherrypit.VERSION}"


# The checks found in CherryPy applications and libraries, each exiting when it fails.
VERSION_GATED_APP = """
import sys

mode = sys.argv[1]
if mode == "alias":
    from cherrypit.compat import install_cherrypy_alias

    install_cherrypy_alias()
else:
    import cherrypit

    sys.modules["cherrypy"] = cherrypit

import cherrypy
from packaging.version import Version

if int(cherrypy.__version__.split(".")[0]) < 3:
    sys.exit("Required version: 3 or higher")
if tuple(map(int, cherrypy.__version__.split(".")[:2])) < (18, 0):
    sys.exit("CherryPy 18 or later is needed")
if Version(cherrypy.__version__) < Version("18.6"):
    sys.exit("CherryPy >= 18.6 is needed")
if not cherrypy.__version__.startswith("18."):
    sys.exit("Only CherryPy 18 is supported")


class Root:
    @cherrypy.expose
    def index(self):
        return "running on " + cherrypy.__version__


cherrypy.tree.mount(Root())
from cherrypit.testing import Client

print(Client().get("/").text)
"""


@pytest.mark.parametrize("mode", ["alias", "sys.modules"])
def test_version_gated_cherrypy_app_starts(mode: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(VERSION_GATED_APP), mode],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "running on 18.10.0"
