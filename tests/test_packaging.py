"""The distribution as it would be published: built, checked, installed, serving.

``python -m build`` makes the sdist from this checkout and the wheel from that sdist, so
a file the sdist lacks is missing from the wheel too (without build isolation, with the
virtualenv's hatchling: no network); ``twine check --strict`` must accept
both, and the wheel is installed — not editable — into a new virtualenv, which runs an
application through the in-process test client, finds the first-party plugins through
their entry points, and serves a request over HTTP with its own ``cherrypit`` command.

The new virtualenv gets cherrypit's dependencies without an index: a folder of links to
exactly the distributions the wheel's metadata requires (and what they require, as
installed here) is put on its path with a ``.pth`` file.  Nothing else of this environment
is visible there, so a dependency missing from the wheel's metadata, or a source root
missing from the wheel, fails the request.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from cherrypit.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION: str = PYPROJECT["project"]["version"]
SOURCE_ROOTS = ("kernel", "plugins", "contrib")
BUILD_TIMEOUT = 180

pytestmark = pytest.mark.e2e

APP = """
from importlib.metadata import version

import cherrypit
import cherrypit_server


class Root:
    @cherrypit.expose
    def index(self):
        return "served from the wheel"

    @cherrypit.expose
    def where(self):
        found = [cherrypit.__file__, cherrypit_server.__file__]
        return "\\n".join([*found, cherrypit.VERSION, version("cherrypit")])
"""

# Run by the new virtualenv's python: the in-process client and the entry points it sees.
IN_PROCESS = """
import json
from importlib.metadata import entry_points

import cherrypit
from cherrypit.testing import Client


class Root:
    @cherrypit.expose
    def greet(self, name):
        cherrypit.response.headers["X-Greeting"] = "yes"
        return "hello " + name


cherrypit.config.update({"log.screen": False})
cherrypit.tree.mount(Root(), "")
page = Client().get("/greet?name=wheel")
missing = Client().get("/nowhere")
print(json.dumps({
    "kernel": cherrypit.__file__,
    "page": [page.status, page.text, page.header("X-Greeting")],
    "missing": missing.status,
    "plugins": {ep.name: ep.value for ep in entry_points(group="cherrypit.plugins")},
    "engines": sorted(ep.name for ep in entry_points(group="cherrypit.template_engines")),
}))
"""


def _env() -> dict[str, str]:
    skip = ("PYTHONPATH", "PIP_USER", "PIP_TARGET", "PIP_PREFIX", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(argv: list[str], cwd: Path, timeout: float = BUILD_TIMEOUT) -> str:
    proc = subprocess.run(
        argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"{argv[:4]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and the sdist, built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)], ROOT)
    wheels = list(out.glob("*.whl"))
    sdists = list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_build_names_the_version_from_pyproject(dists: dict[str, Path]) -> None:
    assert dists["wheel"].name == f"cherrypit-{VERSION}-py3-none-any.whl"
    assert dists["sdist"].name == f"cherrypit-{VERSION}.tar.gz"


def test_twine_accepts_both(dists: dict[str, Path]) -> None:
    out = _run(
        [
            sys.executable,
            "-m",
            "twine",
            "check",
            "--strict",
            str(dists["wheel"]),
            str(dists["sdist"]),
        ],
        ROOT,
    )
    assert out.count("PASSED") == 2, out


def _packages(source_root: str) -> list[str]:
    return sorted(
        p.name
        for p in (ROOT / source_root).iterdir()
        if (p / "__init__.py").is_file() and not p.name.startswith((".", "_"))
    )


def test_wheel_holds_every_source_root_license_and_entry_points(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
        info = f"cherrypit-{VERSION}.dist-info"
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
        meta = wheel.read(f"{info}/METADATA").decode()
    tops = {name.split("/", 1)[0] for name in names}
    expected = {pkg for root in SOURCE_ROOTS for pkg in _packages(root)}
    assert (
        "cherrypit" in expected and "cherrypit_server" in expected and "cherrypit_redis" in expected
    )
    assert expected <= tops, f"packages missing from the wheel: {sorted(expected - tops)}"
    assert tops - expected == {info}, f"unexpected top-level entries: {sorted(tops - expected)}"
    assert "cherrypit/_kernel/request.py" in names and "cherrypit/py.typed" in names
    assert f"{info}/licenses/LICENSE" in names

    declared = PYPROJECT["project"]["entry-points"]
    for group, targets in declared.items():
        assert f"[{group}]" in entry_points
        for name, target in targets.items():
            assert f"{name} = {target}" in entry_points
    assert "cherrypit = cherrypit.cli:main" in entry_points

    assert "License-Expression: BSD-3-Clause" in meta
    for label in ("Documentation", "Source", "Changelog", "Issues"):
        assert re.search(rf"^Project-URL: {label}, https://", meta, re.M), label
    assert "Classifier: Framework :: CherryPy" not in meta
    assert "Classifier: Topic :: Internet :: WWW/HTTP :: WSGI :: Application" in meta
    assert "Classifier: Typing :: Typed" in meta


def test_sdist_holds_what_a_source_release_needs_and_no_more(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for needed in (
        "pyproject.toml",
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "mkdocs.yml",
        "kernel/cherrypit/__init__.py",
        "plugins/cherrypit_server/__init__.py",
        "contrib/cherrypit_redis/__init__.py",
        "docs/index.md",
        "tests/test_packaging.py",
    ):
        assert needed in names, needed
    tops = {name.split("/", 1)[0] for name in names}
    assert not tops & {"notes", ".venv", "site", ".git"}, sorted(tops)


# --- the wheel, installed ----------------------------------------------------------------


def _wheel_requirements(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of a wheel's metadata."""
    with zipfile.ZipFile(wheel) as archive:
        meta_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(meta_name).decode()
    return re.findall(r"^Requires-Dist: (.+)$", text, re.M)


def _requirement_closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions ``requirements`` need, recursively (no extras)."""
    found: dict[str, metadata.Distribution] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key in found:
            continue
        dist = metadata.distribution(req.name)
        found[key] = dist
        todo.extend(Requirement(r) for r in dist.requires or [])
    return list(found.values())


def _link_distributions(dists: list[metadata.Distribution], folder: Path) -> None:
    """Make ``folder`` a site directory holding exactly ``dists`` (as symbolic links)."""
    folder.mkdir()
    for dist in dists:
        site = Path(str(dist.locate_file(""))).resolve()
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in sorted(tops):
            source = site / top
            if top in ("..", "__pycache__") or top.endswith(".pth") or not source.exists():
                continue
            target = folder / top
            if not target.exists():
                target.symlink_to(source, target_is_directory=source.is_dir())


def _wait_for_port(port: int, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the server exited early ({proc.returncode}):\n{out}\n{err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listened on port {port} within {timeout} s")


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_the_wheel_installed_in_a_new_virtualenv_serves_http(
    dists: dict[str, Path], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    site_packages = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path
        ).strip()
    )
    deps = tmp_path / "deps"
    _link_distributions(_requirement_closure(_wheel_requirements(dists["wheel"])), deps)
    (site_packages / "cherrypit-test-deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-index",
            "--no-deps",
            "--no-compile",
            str(dists["wheel"]),
        ],
        tmp_path,
    )
    seen = json.loads(_run([str(python), "-c", IN_PROCESS], tmp_path))
    assert Path(seen["kernel"]).is_relative_to(site_packages), seen["kernel"]
    assert seen["page"] == [200, "hello wheel", "yes"]
    assert seen["missing"] == 404
    assert seen["plugins"] == PYPROJECT["project"]["entry-points"]["cherrypit.plugins"]
    assert seen["engines"] == ["jinja2", "mako"]

    plugins = _run([str(venv / "bin" / "cherrypit"), "plugins"], tmp_path)
    for name in ("server", "tools", "sessions", "static", "templates", "logging", "autoreload"):
        assert re.search(rf"^{name}\s+cherrypit\s+{re.escape(VERSION)}\s+yes$", plugins, re.M), (
            plugins
        )

    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "wheel_app.py").write_text(APP, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [
            str(venv / "bin" / "cherrypit"),
            "run",
            "wheel_app:Root",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--environment",
            "production",
        ],
        cwd=app_dir,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(port, proc)
        assert _get(port, "/") == (200, "served from the wheel")
        status, where = _get(port, "/where")
        assert status == 200
        kernel_file, server_file, version, metadata_version = where.splitlines()
        assert Path(kernel_file).is_relative_to(site_packages), kernel_file
        assert Path(server_file).is_relative_to(site_packages), server_file
        assert version == metadata_version == VERSION
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
