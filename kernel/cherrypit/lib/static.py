"""CherryPy's ``cherrypy.lib.static`` import path, backed by the static plugin.

The names resolve on first use to :mod:`cherrypit_static` (the kernel does not import
the plugin); they are missing if the ``static`` plugin is disabled.  ``mimetypes`` is
the standard library module, with the types CherryPy adds to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_static.mime import mimetypes as mimetypes
    from cherrypit_static.respond import serve_download as serve_download
    from cherrypit_static.respond import serve_file as serve_file
    from cherrypit_static.respond import serve_fileobj as serve_fileobj
    from cherrypit_static.tools import staticdir as staticdir
    from cherrypit_static.tools import staticfile as staticfile

__all__ = ["mimetypes", "serve_download", "serve_file", "serve_fileobj", "staticdir", "staticfile"]


__getattr__ = plugin_attributes(__name__, __all__, provider="static")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
