"""Mapping the rest of a URL path to a file inside a static directory, safely.

CherryPy decoded the path a second time and checked containment with a string prefix,
which let ``/static/../static-secret/x`` (a sibling directory sharing the prefix) and
double-encoded dots through.  Here the path the kernel already decoded is used as is,
and the candidate is contained by *resolved* path components:

* a NUL byte is "not found" (404);
* backslashes, and ``%2f``/``%5c`` still present after decoding (a server that keeps
  encoded slashes, or a double-encoded one), are refused (403), as is a branch that is
  itself absolute (``/static//etc/passwd``);
* a path ending in ``/`` must name a directory (``file.txt/`` is 404);
* ``..`` is resolved lexically and must stay inside the directory (403 otherwise);
* with ``follow_symlinks`` off (the default), the real path, symlinks resolved, must
  also stay inside the directory's real path (403 otherwise).  With it on, symlinks
  are trusted wherever they point (CherryPy's behaviour).
"""

from __future__ import annotations

import errno
import os
import stat

from cherrypit import HTTPError, NotFound

__all__ = ["Located", "check_branch", "locate"]


class Located:
    """Where a request path leads: the path to open and the path as asked (for its type)."""

    __slots__ = ("asked", "real")

    def __init__(self, real: str, asked: str) -> None:
        self.real = real
        self.asked = asked


def check_branch(branch: str) -> None:
    """Refuse a request path that no legitimate link produces."""
    if "\x00" in branch:
        raise NotFound()
    lowered = branch.lower()
    if "\\" in branch or "%2f" in lowered or "%5c" in lowered:
        raise HTTPError(403)
    if branch.startswith("/"):
        raise HTTPError(403)


def locate(directory: str, branch: str, follow_symlinks: bool = False) -> Located:
    """The file ``branch`` (a relative, decoded URL path) names inside ``directory``.

    :raises cherrypit.HTTPError: 403 when the path escapes the directory.
    :raises cherrypit.NotFound: the path cannot name a file (NUL byte, OS limits).
    """
    check_branch(branch)
    try:
        # The directory itself may be a symlink (a deployment's "current" link): the
        # real path of what it names now is the boundary.  String paths, not
        # pathlib: this runs on every static request.
        base = _real_directory(directory)
        asked = os.path.normpath(os.path.join(base, branch))
        if not _inside(asked, base):
            raise HTTPError(403)
        if follow_symlinks:
            real = asked
        else:
            real = _real_below(base, asked)
            if not _inside(real, base):
                raise HTTPError(403)
            if real != asked:
                # realpath() leaves a symlink loop unresolved instead of failing:
                # stat() tells (ELOOP), and a loop names nothing.
                try:
                    os.stat(real)
                except OSError as exc:
                    if exc.errno == errno.ELOOP:
                        raise NotFound() from None
        # normpath drops a trailing slash, but "file.txt/" names a directory, and
        # the file system would not open a file under that name either.
        if branch.endswith("/") and not os.path.isdir(real):
            raise NotFound()
    except (OSError, ValueError):
        raise NotFound() from None
    return Located(real, asked)


#: directory -> (device, inode, real path) of the last request's resolution.
_REAL_DIRECTORIES: dict[str, tuple[int, int, str]] = {}


def _real_directory(directory: str) -> str:
    """``os.path.realpath(directory)``, reused while it names the same directory.

    The remembered real path is reused only when ``directory`` and it still lead to the
    same directory (device and inode, two ``stat`` calls): re-pointing a "current"
    symlink is seen on the next request, and resolving every component again is not
    paid on each one.
    """
    try:
        target = os.stat(directory)
    except OSError:
        return os.path.realpath(directory)
    known = _REAL_DIRECTORIES.get(directory)
    if known is not None and known[0] == target.st_dev and known[1] == target.st_ino:
        try:
            again = os.stat(known[2])
        except OSError:
            pass
        else:
            if again.st_dev == target.st_dev and again.st_ino == target.st_ino:
                return known[2]
    real = os.path.realpath(directory)
    if len(_REAL_DIRECTORIES) >= 256:
        _REAL_DIRECTORIES.clear()
    _REAL_DIRECTORIES[directory] = (target.st_dev, target.st_ino, real)
    return real


def _real_below(base: str, asked: str) -> str:
    """``os.path.realpath(asked)`` for a normalised path inside ``base``, a real path.

    Only the components below ``base`` can be symlinks, so only they are looked at;
    when none is, the path is its own real path (the usual case: one ``lstat`` per
    component instead of one for every component from the file-system root).
    """
    path = base
    for part in asked[len(base) :].split(os.sep):
        if not part:
            continue
        path = path + part if path.endswith(os.sep) else path + os.sep + part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            # As realpath(): what cannot be looked at is taken as it is (opening it
            # fails later).
            return asked
        if stat.S_ISLNK(mode):
            return os.path.realpath(asked)
    return asked


def _inside(path: str, base: str) -> bool:
    """Whether ``path`` is ``base`` or below it, by whole components."""
    if path == base:
        return True
    prefix = base if base.endswith(os.sep) else base + os.sep
    return path.startswith(prefix)
