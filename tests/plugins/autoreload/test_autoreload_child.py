"""The supervised child's import recorder: it notes files, including ones that fail."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cherrypit_autoreload import child, watch


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[child.ImportRecorder]:
    """A recorder first on ``sys.meta_path`` and ``tmp_path`` importable, both undone after."""
    rec = child.ImportRecorder()
    sys.path.insert(0, str(tmp_path))
    sys.meta_path.insert(0, rec)
    before = set(sys.modules)
    try:
        yield rec
    finally:
        sys.meta_path.remove(rec)
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_a_successful_import_is_recorded_with_its_time(
    recorder: child.ImportRecorder, tmp_path: Path
) -> None:
    source = tmp_path / "recorded_ok_probe.py"
    source.write_text("VALUE = 1\n")
    importlib.invalidate_caches()

    mod = importlib.import_module("recorded_ok_probe")

    assert mod.VALUE == 1  # the recorder found nothing itself: the import went on normally
    assert recorder.found["recorded_ok_probe"] == (str(source), watch.mtime(str(source)))


def test_a_failing_import_is_recorded_too(recorder: child.ImportRecorder, tmp_path: Path) -> None:
    broken = tmp_path / "recorded_broken_probe.py"
    broken.write_text("def broken(:\n")
    importlib.invalidate_caches()

    with pytest.raises(SyntaxError):
        importlib.import_module("recorded_broken_probe")

    assert "recorded_broken_probe" not in sys.modules
    assert recorder.files(".*")[str(broken)] == watch.mtime(str(broken))
    assert recorder.files("other") == {}


def test_a_package_and_its_submodule_are_recorded(
    recorder: child.ImportRecorder, tmp_path: Path
) -> None:
    package = tmp_path / "recorded_pkg_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text("X = 2\n")
    importlib.invalidate_caches()

    importlib.import_module("recorded_pkg_probe.views")

    assert set(recorder.files("recorded_pkg_probe")) == {
        str(package / "__init__.py"),
        str(package / "views.py"),
    }


def test_nothing_is_recorded_outside_a_supervised_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHERRYPIT_RELOADER_CHILD", raising=False)

    assert child.supervised() is False
    assert child.recorded(".*") == {}
    monkeypatch.setenv("CHERRYPIT_RELOADER_CHILD", "1")
    assert child.supervised() is True
