"""A third-party plugin, installed with pip like a user would, is found and works.

``tests/fixtures/cherrypit-hello`` is a separate distribution (hatchling, entry point in
the ``cherrypit.plugins`` group).  It is installed with ``pip install --target`` into a
temporary folder — offline when this virtualenv has hatchling (no dependencies, no build
isolation, no index) — and every check runs in a subprocess whose ``PYTHONPATH`` holds
that folder, so the plugin is discovered from its ``.dist-info`` exactly as after a real
install, while this test process stays untouched.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "cherrypit-hello"

APP = textwrap.dedent(
    """
    import sys

    import cherrypit
    from cherrypit.testing import Client


    class Root:
        @cherrypit.expose
        def index(self):
            return "home"

        @cherrypit.expose
        @cherrypit.tools.hello(name="decorator")
        def decorated(self):
            return "decorated"

        @cherrypit.expose
        def plain(self):
            return "plain"


    cherrypit.config.update({"log.screen": False, "hello.name": "site"})
    cherrypit.config.update(sys.argv[1] if len(sys.argv) > 1 else {})
    cherrypit.tree.mount(Root(), "", {
        "/": {"tools.hello.on": True},
        "/plain": {"tools.hello.on": False},
    })
    client = Client()
    for path in ("/", "/decorated", "/plain"):
        print(path, client.get(path).header("X-Hello"))
    """
)


#: pip settings from the environment that would fight ``--target`` or the build mode.
_PIP_OVERRIDES = ("PIP_USER", "PIP_TARGET", "PIP_PREFIX", "PIP_NO_BUILD_ISOLATION")


def _env(site_dir: Path | None) -> dict[str, str]:
    skip = ("CHERRYPIT_DISABLE_PLUGIN_AUTOLOAD", *_PIP_OVERRIDES)
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env["PYTHONPATH"] = str(site_dir) if site_dir is not None else ""
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _pip_build_options() -> list[str]:
    """Build offline with this virtualenv's hatchling; without it, let pip fetch one."""
    if importlib.util.find_spec("hatchling") is not None:
        return ["--no-build-isolation", "--no-index"]
    return []


def _run(args: list[str], site_dir: Path | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=_env(site_dir),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin distribution installed by pip into a folder of its own."""
    work = tmp_path_factory.mktemp("third-party")
    source = work / "cherrypit-hello"
    # Build from a copy: the fixture folder in the repository stays clean.
    shutil.copytree(FIXTURE, source, ignore=shutil.ignore_patterns("__pycache__"))
    target = work / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            *_pip_build_options(),
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--target",
            str(target),
            str(source),
        ],
        env=_env(None),
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "cherrypit_hello" / "__init__.py").is_file()
    assert list(target.glob("cherrypit_hello-1.0.0.dist-info"))
    (work / "app.py").write_text(APP, encoding="utf-8")
    (work / "off.conf").write_text("[global]\nplugins.disable = ['hello']\n", encoding="utf-8")
    return target


def _plugin_rows(stdout: str) -> dict[str, list[str]]:
    rows = [line.split() for line in stdout.splitlines()[1:] if line.strip()]
    return {row[0]: row[1:] for row in rows}


def test_plugins_command_lists_the_plugin_and_its_distribution(site_dir: Path) -> None:
    result = _run(["-m", "cherrypit", "plugins"], site_dir, site_dir.parent)
    assert result.returncode == 0, result.stderr
    rows = _plugin_rows(result.stdout)
    assert rows["hello"] == ["cherrypit-hello", "1.0.0", "yes"]
    # The first-party plugins are found through the very same entry-point group.
    assert rows["server"][0] == "cherrypit"


def test_without_the_install_there_is_no_hello_plugin(site_dir: Path) -> None:
    result = _run(["-m", "cherrypit", "plugins"], None, site_dir.parent)
    assert result.returncode == 0, result.stderr
    assert "hello" not in _plugin_rows(result.stdout)


def test_tool_and_namespace_work_from_config_and_decorator(site_dir: Path) -> None:
    result = _run(["app.py"], site_dir, site_dir.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "/ Hello, site!",  # tools.hello.on in [/], the name from hello.name
        "/decorated Hello, decorator!",  # @cherrypit.tools.hello(name=...)
        "/plain None",  # switched off for one path
    ]


def test_namespace_rejects_an_unknown_key_naming_it(site_dir: Path) -> None:
    code = "import cherrypit; cherrypit.config.update({'hello.colour': 'red'})"
    result = _run(["-c", code], site_dir, site_dir.parent)
    assert result.returncode == 1
    assert "ConfigError: hello.colour: " in result.stderr
    assert "unknown setting 'colour'" in result.stderr


def test_plugin_command(site_dir: Path) -> None:
    result = _run(["-m", "cherrypit", "hello", "--name", "Ann"], site_dir, site_dir.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello, Ann!\n"


def test_disabled_plugin_is_listed_as_off_and_contributes_nothing(site_dir: Path) -> None:
    work = site_dir.parent
    listing = _run(["-m", "cherrypit", "plugins", "-c", "off.conf"], site_dir, work)
    assert listing.returncode == 0, listing.stderr
    assert _plugin_rows(listing.stdout)["hello"] == ["cherrypit-hello", "1.0.0", "no"]

    code = textwrap.dedent(
        """
        import cherrypit
        cherrypit.config.update({"plugins.disable": ["hello"]})
        print("hello" in cherrypit.tools, "hello" in cherrypit.config.namespaces)
        try:
            cherrypit.tree.mount(None, "", {"/": {"tools.hello.on": True}})
        except cherrypit.ConfigError as exc:
            print(exc)
        """
    )
    result = _run(["-c", code], site_dir, work)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "False False"
    assert "tools.hello.on: no tool named 'hello'" in result.stdout
