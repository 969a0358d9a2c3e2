"""Which files the running code came from, and whether any of them changed.

Modification times are compared with ``!=`` in nanoseconds, so a file that is
replaced by an older copy (a ``git checkout``), deleted or created counts as
changed, and two saves within one second are told apart.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Iterable, Mapping
from types import ModuleType

__all__ = [
    "Mtimes",
    "absolute",
    "changed_files",
    "forget_bytecode",
    "module_file",
    "module_files",
    "mtime",
    "snapshot",
]

#: Path → modification time in nanoseconds (``None``: the file does not exist).
Mtimes = dict[str, int | None]

# Relative module and config paths were relative to the directory the process
# started in; the application may chdir later.
_START_DIR = os.getcwd()


def mtime(path: str) -> int | None:
    """The modification time of ``path`` in nanoseconds, or ``None`` if it is missing."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def absolute(path: str | os.PathLike[str]) -> str:
    """``path`` made absolute against the directory this process started in."""
    return os.path.normpath(os.path.join(_START_DIR, os.fspath(path)))


def module_file(module: object) -> str | None:
    """The file a module was loaded from: its source, its zip archive, or ``None``."""
    archive = getattr(getattr(module, "__loader__", None), "archive", None)
    if isinstance(archive, str) and archive:
        return absolute(archive)  # zipimport: the archive is what changes
    filename = getattr(module, "__file__", None)
    if not isinstance(filename, str) or not filename:
        return None
    if filename.endswith(".pyc"):
        source = filename[:-1]
        if os.path.exists(source):
            filename = source
    return absolute(filename)


def module_files(
    match: str | re.Pattern[str] = ".*", modules: Mapping[str, object] | None = None
) -> set[str]:
    """Files of the modules (``sys.modules`` by default) whose names ``match`` matches.

    ``match`` is applied with :func:`re.match`, i.e. anchored at the start of the
    dotted module name, as CherryPy's ``engine.autoreload.match`` is.
    """
    pattern = re.compile(match)
    source = sys.modules if modules is None else modules
    found: set[str] = set()
    # A copy: other threads import while we look.
    for name, module in list(source.items()):
        if not isinstance(module, ModuleType) or not pattern.match(name):
            continue
        filename = module_file(module)
        if filename is not None:
            found.add(filename)
    return found


def snapshot(paths: Iterable[str]) -> Mtimes:
    """The current modification time of each path."""
    return {path: mtime(path) for path in paths}


def changed_files(baseline: Mapping[str, int | None]) -> list[str]:
    """Every path whose modification time differs from ``baseline``."""
    return [path for path, before in list(baseline.items()) if mtime(path) != before]


def forget_bytecode(path: str) -> None:
    """Delete the cached bytecode of a changed ``.py`` file.

    Python reuses a ``.pyc`` whose recorded source time (whole seconds) and size
    still match, so an edit within the same second that keeps the file's size
    would otherwise run the old code after the restart.
    """
    if not path.endswith(".py"):
        return
    try:
        os.remove(importlib.util.cache_from_source(path))
    except (OSError, NotImplementedError, ValueError):
        pass  # no cache (or none possible): nothing stale to run
