"""The fixtures reach a user's tests through the ``pytest11`` entry point, no conftest needed.

Each test runs pytest in a subprocess on a scratch project outside this repository,
so that only the installed entry point (not this repository's ``addopts``) can load
the plugin.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

USER_TEST = """
import cherrypit


class Root:
    @cherrypit.expose
    def index(self):
        return "hello"


def test_client_fixture(client):
    cherrypit.tree.mount(Root())
    assert client.get("/").text == "hello"
"""


def run_pytest(folder: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options, "test_user.py"],
        cwd=folder, capture_output=True, text=True, env=env, timeout=120,
    )


def test_fixtures_need_no_conftest(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_no_cherrypit_opts_out(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    result = run_pytest(tmp_path, "-p", "no:cherrypit")
    assert result.returncode == 1
    assert "fixture 'client' not found" in result.stdout


def test_an_old_conftest_naming_the_module_still_works(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["cherrypit.testing"]\n')
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_the_testing_extra_is_pytest_alone() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert [req.split(">")[0] for req in project["optional-dependencies"]["testing"]] == ["pytest"]
    assert project["entry-points"]["pytest11"] == {"cherrypit": "cherrypit.pytest_plugin"}
