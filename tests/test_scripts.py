"""The contributor scripts: ``scripts/setup`` installs once, ``scripts/ensure-redis`` says
what it is about to install.

Each script runs for real, in a scratch copy of the repository's layout, against fake
``pip`` and ``apt-get`` commands that record how they were called.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(BASH is None, reason="the scripts are bash scripts")

FAKE_VENV_PYTHON = """#!{bash}
# pip is recorded, not run; everything else is the real interpreter.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  echo "pip ${{*:3}}" >> "{log}"
  exit 0
fi
exec "{python}" "$@"
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A scratch checkout: the scripts, a pyproject.toml and a .venv whose pip is fake."""
    (tmp_path / "scripts").mkdir()
    for name in ("setup", "ensure-redis"):
        shutil.copy2(ROOT / "scripts" / name, tmp_path / "scripts" / name)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n')
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(
        FAKE_VENV_PYTHON.format(bash=BASH, log=tmp_path / "pip.log", python=sys.executable)
    )
    python.chmod(0o755)
    return tmp_path


def run_setup(checkout: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("SETUP_FORCE", None)
    return subprocess.run(
        [str(BASH), str(checkout / "scripts" / "setup")],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )


def pip_calls(checkout: Path) -> list[str]:
    log = checkout / "pip.log"
    return log.read_text().splitlines() if log.exists() else []


def test_setup_installs_once_and_again_only_when_pyproject_changes(checkout: Path) -> None:
    first = run_setup(checkout)
    assert pip_calls(checkout) == [
        "pip install -q --upgrade pip",
        "pip install -q -e .[test]",
    ]
    assert "installing cherrypit" in first.stdout

    second = run_setup(checkout)
    assert len(pip_calls(checkout)) == 2  # nothing installed the second time
    assert second.stdout == ""

    with (checkout / "pyproject.toml").open("a") as handle:
        handle.write('dependencies = ["pluggy"]\n')
    run_setup(checkout)
    assert pip_calls(checkout)[2:] == [
        "pip install -q --upgrade pip",
        "pip install -q -e .[test]",
    ]


def test_a_failed_install_is_retried_next_time(checkout: Path) -> None:
    python = checkout / ".venv" / "bin" / "python"
    python.write_text(python.read_text().replace("exit 0", "exit 1"))
    env = {**os.environ, "PYTHON": sys.executable}
    failed = subprocess.run(
        [str(BASH), str(checkout / "scripts" / "setup")],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert failed.returncode != 0
    assert not (checkout / ".venv" / ".cherrypit-installed").exists()


def fake_system(tmp_path: Path) -> Path:
    """A PATH with bash, env, a fake apt-get and an ``id`` that says root; no redis-server."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "env"):
        real = shutil.which(tool)
        assert real is not None
        (bin_dir / tool).symlink_to(real)
    (bin_dir / "id").write_text(f"#!{BASH}\necho 0\n")
    (bin_dir / "apt-get").write_text(f'#!{BASH}\necho "fake apt-get $*" >&2\n')
    for tool in ("id", "apt-get"):
        (bin_dir / tool).chmod(0o755)
    return bin_dir


def run_ensure_redis(checkout: Path, **env: str) -> list[str]:
    bin_dir = fake_system(checkout)
    result = subprocess.run(
        [str(BASH), str(checkout / "scripts" / "ensure-redis")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
        env={"PATH": str(bin_dir), **env}, check=True,
    )
    return result.stdout.splitlines()


def test_ensure_redis_says_what_it_installs_before_installing(checkout: Path) -> None:
    lines = run_ensure_redis(checkout)
    announce = next(i for i, line in enumerate(lines) if "system package manager" in line)
    assert "apt-get install redis-server" in lines[announce]
    assert "CHERRYPIT_NO_SYSTEM_INSTALL=1" in lines[announce]
    installs = [i for i, line in enumerate(lines) if line.startswith("fake apt-get")]
    assert [lines[i] for i in installs] == [
        "fake apt-get update -qq",
        "fake apt-get install -y -qq redis-server",
    ]
    assert announce < installs[0]


def test_ensure_redis_can_be_told_to_install_nothing(checkout: Path) -> None:
    lines = run_ensure_redis(checkout, CHERRYPIT_NO_SYSTEM_INSTALL="1")
    assert not [line for line in lines if line.startswith("fake apt-get")]
    assert any("Redis session tests will be skipped" in line for line in lines)
