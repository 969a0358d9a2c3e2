"""CherryPy's ``cherrypy.lib.static`` import path, backed by the static plugin.

The names resolve on first use to :mod:`cherrypit_static` (the kernel does not import
the plugin); they are missing if the ``static`` plugin is disabled.  ``mimetypes`` is
the standard library module, with the types CherryPy adds to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit._kernel.pluginmanager import plugin_module

if TYPE_CHECKING:
    from cherrypit_static.mime import mimetypes as mimetypes
    from cherrypit_static.respond import serve_download as serve_download
    from cherrypit_static.respond import serve_file as serve_file
    from cherrypit_static.respond import serve_fileobj as serve_fileobj
    from cherrypit_static.tools import staticdir as staticdir
    from cherrypit_static.tools import staticfile as staticfile

#: Public name → the plugin submodule that defines it.
_SOURCES = {
    "mimetypes": "mime",
    "serve_download": "respond",
    "serve_file": "respond",
    "serve_fileobj": "respond",
    "staticdir": "tools",
    "staticfile": "tools",
}

__all__ = ["mimetypes", "serve_download", "serve_file", "serve_fileobj", "staticdir", "staticfile"]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(getattr(plugin_module("static"), source), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
