"""Content types by file extension: the stdlib table plus the few types CherryPy adds.

Like CherryPy, the additions are written into :data:`mimetypes.types_map` when this
module is first imported, so an application that edits that table
(``cherrypit.lib.static.mimetypes.types_map[".md"] = "text/markdown"``) changes what
the static tools send.
"""

from __future__ import annotations

import mimetypes
import os

__all__ = ["EXTRA_TYPES", "guess_type", "mimetypes", "type_from_map"]

#: Extensions whose type CherryPy sets itself (some differ from the stdlib's choice).
EXTRA_TYPES = {
    ".dwg": "image/x-dwg",
    ".ico": "image/x-icon",
    ".bz2": "application/x-bzip2",
    ".gz": "application/x-gzip",
}


def _install() -> None:
    if not mimetypes.inited:
        mimetypes.init()
    mimetypes.types_map.update(EXTRA_TYPES)


_install()


def guess_type(path: str) -> str | None:
    """The content type for ``path`` from its extension (case-insensitive), or ``None``.

    The extension is everything from the last dot of the whole path, as in CherryPy:
    a dot in a directory name followed by an extension-less file gives no type.
    """
    dot = path.rfind(".")
    if dot == -1:
        return None
    return mimetypes.types_map.get(path[dot:].lower())


def type_from_map(path: str, content_types: dict[str, str] | None) -> str | None:
    """The type ``content_types`` (``{"css": "text/css"}``) gives ``path``'s extension."""
    if not content_types:
        return None
    ext = os.path.splitext(path)[1]
    return content_types.get(ext[1:])
