"""The mtime scanner: which module files are watched, and what counts as a change."""

from __future__ import annotations

import importlib
import os
import py_compile
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from cherrypit_autoreload import protocol, watch


def module(name: str, filename: str | None) -> ModuleType:
    mod = ModuleType(name)
    mod.__file__ = filename
    return mod


def bump(path: Path, seconds: int = 10) -> None:
    """Move the mtime forward explicitly: two writes within one tick look the same."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))


def test_match_is_anchored_at_the_start_of_the_module_name(tmp_path: Path) -> None:
    files = {name: tmp_path / f"{name}.py" for name in ("app", "app_views", "myapp", "other")}
    for path in files.values():
        path.write_text("")
    modules = {
        "app": module("app", str(files["app"])),
        "app.views": module("app.views", str(files["app_views"])),
        "myapp": module("myapp", str(files["myapp"])),
        "other": module("other", str(files["other"])),
    }

    assert watch.module_files(r"app\b", modules) == {str(files["app"]), str(files["app_views"])}
    assert watch.module_files(".*", modules) == {str(p) for p in files.values()}
    assert watch.module_files("nothing", modules) == set()


def test_modules_without_a_file_are_skipped(tmp_path: Path) -> None:
    source = tmp_path / "real.py"
    source.write_text("")
    modules: dict[str, object] = {
        "builtin_like": module("builtin_like", None),
        "placeholder": None,  # sys.modules may hold None for blocked imports
        "not_a_module": object(),
        "real": module("real", str(source)),
    }

    assert watch.module_files(".*", modules) == {str(source)}


def test_a_compiled_file_is_watched_through_its_source(tmp_path: Path) -> None:
    source = tmp_path / "withsource.py"
    source.write_text("")
    orphan = tmp_path / "sourceless.pyc"
    orphan.write_bytes(b"")
    modules = {
        "withsource": module("withsource", str(tmp_path / "withsource.pyc")),
        "sourceless": module("sourceless", str(orphan)),
    }

    assert watch.module_files(".*", modules) == {str(source), str(orphan)}


def test_a_module_from_a_zip_archive_is_watched_through_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("zipped_autoreload_probe.py", "VALUE = 1\n")
    sys.path.insert(0, str(archive))
    try:
        probe = importlib.import_module("zipped_autoreload_probe")
        assert watch.module_file(probe) == str(archive)
    finally:
        sys.path.remove(str(archive))
        sys.modules.pop("zipped_autoreload_probe", None)
        sys.path_importer_cache.pop(str(archive), None)


def test_loaded_modules_are_found_in_sys_modules() -> None:
    found = watch.module_files("cherrypit_autoreload")

    assert watch.__file__ in found
    assert all("cherrypit_autoreload" in path for path in found)


def test_relative_paths_are_relative_to_the_start_directory() -> None:
    assert watch.absolute("conf/site.conf") == os.path.join(watch._START_DIR, "conf", "site.conf")
    assert watch.absolute("/etc/x.conf") == "/etc/x.conf"


def test_changed_files_sees_edits_deletions_and_creations(tmp_path: Path) -> None:
    kept = tmp_path / "kept.py"
    edited = tmp_path / "edited.py"
    for path in (kept, edited):
        path.write_text("x = 1\n")
    baseline = watch.snapshot([str(kept), str(edited)])
    assert watch.changed_files(baseline) == []

    bump(edited)
    assert watch.changed_files(baseline) == [str(edited)]

    baseline = watch.snapshot([str(kept)])
    kept.unlink()
    assert watch.changed_files(baseline) == [str(kept)]

    missing = tmp_path / "later.conf"
    baseline = watch.snapshot([str(missing)])
    assert baseline == {str(missing): None}
    missing.write_text("[global]\n")
    assert watch.changed_files(baseline) == [str(missing)]


def test_an_older_copy_counts_as_a_change(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_text("")
    baseline = watch.snapshot([str(path)])

    bump(path, seconds=-3600)  # e.g. a checkout restoring an older file

    assert watch.changed_files(baseline) == [str(path)]


def test_forgetting_bytecode_removes_the_cached_file(tmp_path: Path) -> None:
    source = tmp_path / "cached_probe.py"
    source.write_text("VALUE = 1\n")
    compiled = py_compile.compile(str(source), doraise=True)
    assert compiled is not None
    cached = Path(compiled)
    assert cached.exists()

    watch.forget_bytecode(str(source))

    assert not cached.exists()
    assert source.exists()
    watch.forget_bytecode(str(source))  # nothing cached any more: no error
    watch.forget_bytecode(str(tmp_path / "site.conf"))  # not Python: left alone


def test_state_file_round_trip(tmp_path: Path) -> None:
    path = str(tmp_path / "state.json")
    state = protocol.ChildState({"/a.py": 123, "/gone.conf": None}, frequency=0.25, started=True)

    protocol.write_state(path, state)

    assert protocol.read_state(path) == state
    assert os.listdir(tmp_path) == ["state.json"]  # no temporary file left behind


@pytest.mark.parametrize("content", ["", "not json", "[]", '{"files": 3}'])
def test_an_unreadable_state_file_reads_as_none(tmp_path: Path, content: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)

    assert protocol.read_state(str(path)) is None
    assert protocol.read_state(str(tmp_path / "missing.json")) is None


def test_a_bad_frequency_falls_back_to_one_second(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"files": {"/a.py": "x"}, "frequency": -1}')

    state = protocol.read_state(str(path))

    assert state == protocol.ChildState({"/a.py": None}, 1.0, False)
