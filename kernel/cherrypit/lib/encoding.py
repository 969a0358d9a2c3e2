"""CherryPy's ``cherrypy.lib.encoding`` import path, backed by the tools plugin.

The names resolve on first use to :mod:`cherrypit_tools.encoding` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The kernel's, not the plugin's: available even with the plugin disabled.
from cherrypit._cpcompat import text_or_bytes as text_or_bytes
from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_tools.encoding import ResponseEncoder as ResponseEncoder
    from cherrypit_tools.encoding import UTF8StreamEncoder as UTF8StreamEncoder
    from cherrypit_tools.encoding import compress as compress
    from cherrypit_tools.encoding import decode as decode
    from cherrypit_tools.encoding import decompress as decompress
    from cherrypit_tools.encoding import gzip as gzip
    from cherrypit_tools.encoding import prepare_iter as prepare_iter

__all__ = [
    "ResponseEncoder",
    "UTF8StreamEncoder",
    "compress",
    "decode",
    "decompress",
    "gzip",
    "prepare_iter",
]


__getattr__ = plugin_attributes(__name__, __all__, provider="tools")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
