"""One broken third-party plugin does not stop every command, and ``-c`` can switch it off.

The broken plugin is a real distribution as far as discovery goes: a ``.dist-info``
folder with an ``entry_points.txt`` in the ``cherrypit.plugins`` group, on the
``PYTHONPATH`` of a ``cherrypit`` subprocess.  Its module fails to import (after
leaving a mark, so that the tests can tell whether it was imported at all).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

APP = """
import cherrypit


class Root:
    @cherrypit.expose
    def index(self):
        return "home"
"""


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A site-packages folder with the broken plugin, and an app in the working folder."""
    packages = tmp_path / "site"
    dist = packages / "cherrypit_broken-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cherrypit-broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[cherrypit.plugins]\nbroken = cherrypit_broken\n")
    (packages / "cherrypit_broken.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(tmp_path / 'imported')!r}).write_text('yes')\n"
        "raise ImportError('needs libfoo 2')\n"
    )
    (tmp_path / "myapp.py").write_text(APP)
    (tmp_path / "off.conf").write_text('[global]\nplugins.disable = ["broken"]\n')
    return tmp_path


def cherrypit(world: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(world / "site"), *filter(None, [env.get("PYTHONPATH")])]
    )
    env.pop("CHERRYPIT_DISABLE_PLUGIN_AUTOLOAD", None)
    return subprocess.run(
        [sys.executable, "-m", "cherrypit", *argv],
        cwd=world, capture_output=True, text=True, env=env, timeout=60,
    )


def test_plugins_lists_the_others_and_marks_the_broken_one(world: Path) -> None:
    result = cherrypit(world, "plugins")
    assert result.returncode == 1
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    assert rows["broken"] == ["cherrypit-broken", "1.0", "broken"]
    assert rows["server"][-1] == rows["tools"][-1] == "yes"
    assert result.stderr.splitlines() == [
        "cherrypit: error: plugin 'broken' (entry point 'cherrypit_broken', distribution "
        "'cherrypit-broken' 1.0) failed to import: ImportError: needs libfoo 2 (disable it "
        "with plugins.disable = ['broken'])"
    ]


def test_other_commands_name_the_plugin_and_the_way_out(world: Path) -> None:
    result = cherrypit(world, "routes", "myapp:Root")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "plugin 'broken'" in lines[0] and "needs libfoo 2" in lines[0]
    assert "plugins.disable = ['broken'] in a config file given with -c" in lines[0]
    assert result.stdout == ""


def test_a_config_files_plugins_disable_is_applied_before_importing(world: Path) -> None:
    routes = cherrypit(world, "routes", "myapp:Root", "-c", "off.conf")
    assert routes.returncode == 0, routes.stderr
    assert routes.stdout.split() == ["/", "myapp.Root.index"]
    table = cherrypit(world, "plugins", "-c", "off.conf")
    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line.split()[-1] for line in table.stdout.splitlines()[1:]}
    assert rows["broken"] == "no"
    assert not (world / "imported").exists()
