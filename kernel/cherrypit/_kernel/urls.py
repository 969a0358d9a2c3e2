"""``cherrypit.url()``: build URLs relative to the current request or the server."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from cherrypit._kernel import serving


def normalize_path(path: str) -> str:
    """Resolve ``.`` and ``..`` segments (redundant ``..`` at the top are dropped)."""
    if "./" not in path:
        return path
    atoms: list[str] = []
    for atom in path.split("/"):
        if atom == ".":
            continue
        if atom == "..":
            if atoms:
                atoms.pop()
        elif atom:
            atoms.append(atom)
    normalized = "/".join(atoms)
    return "/" + normalized if path.startswith("/") else normalized


def _server_base() -> str:
    from cherrypit._kernel import pluginmanager

    try:
        server = pluginmanager.compat_attribute("cherrypit", "server")
    except AttributeError:
        return "http://127.0.0.1"
    return str(server.base())


def url(
    path: str = "",
    qs: str | Mapping[str, Any] | Sequence[tuple[str, Any]] = "",
    script_name: str | None = None,
    base: str | None = None,
    relative: bool | str | None = None,
) -> str:
    """An absolute URL for ``path`` within the current application.

    A ``path`` without a leading slash is taken relative to the current page (with
    the trailing slash fixed according to whether an index handler answered).
    ``qs`` may be a string or something :func:`urllib.parse.urlencode` accepts.
    ``relative`` = ``True`` gives a path relative to the current URL, ``"server"`` a
    path from the server root; ``None`` uses the application's ``relative_urls``.
    """
    if not isinstance(qs, str):
        qs = urllib.parse.urlencode(qs)
    if qs:
        qs = "?" + qs
    request = serving.ambient().request
    if request.app is not None:
        if not path.startswith("/"):
            current = request.path_info
            if request.is_index is True:
                if not current.endswith("/"):
                    current += "/"
            elif request.is_index is False and current.endswith("/") and current != "/":
                current = current[:-1]
            path = current if path == "" else urllib.parse.urljoin(current, path)
        if script_name is None:
            script_name = request.script_name
        if base is None:
            base = request.base
        newurl = base + script_name + normalize_path(path) + qs
    else:
        if base is None:
            base = _server_base()
        newurl = base + normalize_path((script_name or "") + path) + qs

    if relative is None:
        relative = getattr(request.app, "relative_urls", False)
    if relative == "server":
        newurl = "/" + "/".join(newurl.split("/", 3)[3:])
    elif relative:
        old = url(relative=False).split("/")[:-1]
        new = newurl.split("/")
        while old and new and old[0] == new[0]:
            old.pop(0)
            new.pop(0)
        newurl = "/".join([".."] * len(old) + new)
    return newurl
