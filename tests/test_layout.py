"""The repository layout the packaging relies on, and the kernel's import boundary."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("cheroot", "structlog", "cherrypit_")


def package_dirs(source_root: str) -> list[Path]:
    folder = ROOT / source_root
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def entry_points() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    group: dict[str, str] = data["project"]["entry-points"]["cherrypit.plugins"]
    return group


@pytest.mark.parametrize("source_root", ["plugins", "contrib"])
def test_every_package_is_named_cherrypit_something(source_root: str) -> None:
    bad = [p.name for p in package_dirs(source_root) if not p.name.startswith("cherrypit_")]
    assert bad == [], f"{source_root}/ holds folders that are not cherrypit_* packages: {bad}"


@pytest.mark.parametrize("source_root", ["plugins", "contrib"])
def test_every_package_is_typed(source_root: str) -> None:
    missing = [p.name for p in package_dirs(source_root) if not (p / "py.typed").is_file()]
    assert missing == [], f"packages without py.typed: {missing}"
    for p in package_dirs(source_root):
        assert (p / "__init__.py").is_file(), f"{p.name} is not a regular package"


def test_kernel_is_typed() -> None:
    assert (ROOT / "kernel" / "cherrypit" / "py.typed").is_file()


def test_every_plugin_package_is_an_entry_point() -> None:
    registered = set(entry_points().values())
    modules = {p.name for p in package_dirs("plugins")}
    missing = sorted(m for m in modules if m not in registered)
    assert missing == [], f"plugins not in [project.entry-points.'cherrypit.plugins']: {missing}"


def test_every_entry_point_targets_an_existing_package() -> None:
    for name, target in entry_points().items():
        module = target.split(":", 1)[0].split(".", 1)[0]
        found = [(ROOT / root / module).is_dir() for root in ("plugins", "contrib")]
        assert any(found), f"entry point {name!r} -> {target!r}: no such package"


_PROBE = r"""
import importlib, json, pkgutil, sys

forbidden = tuple(sys.argv[1].split(","))

def offenders():
    return sorted(m for m in sys.modules if m.split(".")[0].startswith(forbidden))

import cherrypit
report = {"cherrypit": offenders()}
names = [m.name for m in pkgutil.walk_packages(cherrypit.__path__, "cherrypit.")]
for name in sorted(names):
    if name.rsplit(".", 1)[-1] == "__main__":
        continue
    before = set(offenders())
    importlib.import_module(name)
    new = sorted(set(offenders()) - before)
    report[name] = new
print(json.dumps(report))
"""


def test_kernel_modules_import_no_plugin_cheroot_or_structlog() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(FORBIDDEN)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={
            "PYTHONPATH": str(ROOT / "kernel"),
            "PATH": "",
            "CHERRYPIT_DISABLE_PLUGIN_AUTOLOAD": "",
        },
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, list[str]] = json.loads(proc.stdout)
    assert len(report) > 20, "the probe found suspiciously few kernel modules"
    offending = {mod: new for mod, new in report.items() if new}
    assert offending == {}, f"kernel modules pulling in forbidden packages: {offending}"


def _tracked_files() -> list[Path]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def test_repository_holds_no_working_notes() -> None:
    tracked = [path.relative_to(ROOT).as_posix() for path in _tracked_files()]
    assert not [name for name in tracked if name.startswith("notes/")]
    assert "CONTRIBUTING.md" in tracked


def test_no_committed_file_names_a_machine_path() -> None:
    # Built from pieces so that this file does not match itself.
    machine_paths = ("/" + "work/", "/" + "root/")
    offenders = []
    for path in _tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if any(prefix in text for prefix in machine_paths):
            offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []
