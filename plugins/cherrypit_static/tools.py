"""The ``staticdir`` and ``staticfile`` tools (CherryPy's ``HandlerTool`` callables).

Both answer only ``GET`` and ``HEAD``; for other methods, for paths that ``match``
rejects and for files that do not exist they return ``False`` and the request goes on
to the page handler.  Each keyword argument is a config key ``tools.<tool>.<name>``.
"""

from __future__ import annotations

import os
import posixpath
import re

from cherrypit import NotFound, log
from cherrypit.plugin import current
from cherrypit_static.containment import locate
from cherrypit_static.mime import type_from_map
from cherrypit_static.respond import serve_path

__all__ = ["staticdir", "staticfile"]


def _declines(match: str, debug: bool, context: str) -> bool:
    """True when the request is not one a static tool answers (method, ``match``)."""
    request = current().request
    if request.method not in ("GET", "HEAD"):
        if debug:
            log("request.method not GET or HEAD", context)
        return True
    if match and not re.search(match, request.path_info):
        if debug:
            log(f"request.path_info {request.path_info!r} does not match {match!r}", context)
        return True
    return False


def _attempt(
    real: str, asked: str, content_types: dict[str, str] | None, debug: bool, context: str
) -> bool:
    """Serve one file; ``False`` if it is not there (so the caller may try something else)."""
    if debug:
        log(f"Attempting {asked!r} (content_types {content_types!r})", context)
    try:
        serve_path(real, asked, type_from_map(asked, content_types), debug=debug)
    except NotFound:
        if debug:
            log("NotFound", context)
        return False
    return True


def staticdir(
    section: str,
    dir: str,
    root: str = "",
    match: str = "",
    content_types: dict[str, str] | None = None,
    index: str = "",
    debug: bool = False,
    follow_symlinks: bool = False,
) -> bool:
    """Serve the file under ``dir`` that the rest of the URL after ``section`` names.

    :param section: the config path the tool is configured on (``tools.staticdir.section``,
        filled in through the plugin's section marker; ``"global"`` means ``/``).
    :param dir: the directory (``~`` expanded); relative to ``root`` if not absolute.
    :param root: the base of a relative ``dir``.
    :param match: a regular expression the request's ``path_info`` must contain.
    :param content_types: ``{extension: content type}`` overriding the guess.
    :param index: the file served for a directory (e.g. ``"index.html"``).
    :param follow_symlinks: serve files whose symlinks lead out of ``dir`` (403
        otherwise).
    :returns: whether the response was produced.
    :raises cherrypit.HTTPError: 403 for paths that escape ``dir`` or are malformed.
    :raises ValueError: ``dir`` is relative and there is no ``root``.
    :raises TypeError: ``section`` or ``dir`` missing, as in CherryPy (the kernel sets
        ``section`` on the config path that has ``tools.staticdir.dir``; a mounted
        ``tools.staticdir.handler()`` takes both as arguments).
    """
    context = "TOOLS.STATICDIR"
    if _declines(match, debug, context):
        return False
    directory = os.path.expanduser(dir)
    if not os.path.isabs(directory):
        if not root:
            message = "Static dir requires an absolute dir (or root)."
            if debug:
                log(message, context)
            raise ValueError(message)
        directory = os.path.join(root, directory)
    request = current().request
    prefix = "" if section == "global" else section.rstrip("/\\")
    path = request.path_info
    if not path.startswith(prefix) or path[len(prefix) : len(prefix) + 1] not in ("", "/"):
        if debug:
            log(f"path_info {path!r} is not below section {section!r}", context)
        return False
    branch = path[len(prefix) + 1 :]
    if debug:
        log(f"Looking up {branch!r} in {directory!r} to fulfill {path!r}", context)

    found = locate(directory, branch, follow_symlinks)
    if _attempt(found.real, found.asked, content_types, debug, context):
        return True
    if index:
        found = locate(directory, posixpath.join(branch, index), follow_symlinks)
        if _attempt(found.real, found.asked, content_types, debug, context):
            # Only a URL ending in "/" is the directory's own URL; the trailing_slash
            # tool redirects the others.
            request.is_index = branch == "" or branch.endswith("/")
            return True
    return False


def staticfile(
    filename: str,
    root: str | None = None,
    match: str = "",
    content_types: dict[str, str] | None = None,
    debug: bool = False,
) -> bool:
    """Serve one configured file (``root`` + ``filename`` when ``filename`` is relative).

    :returns: whether the response was produced (``False`` if the file is missing).
    :raises ValueError: ``filename`` is relative and there is no ``root``.
    """
    context = "TOOLS.STATICFILE"
    if _declines(match, debug, context):
        return False
    if not os.path.isabs(filename):
        if not root:
            message = f"Static tool requires an absolute filename (got {filename!r})."
            if debug:
                log(message, context)
            raise ValueError(message)
        filename = os.path.join(root, filename)
    return _attempt(filename, filename, content_types, debug, context)
