"""CherryPy's ``cherrypy.lib.caching`` import path, backed by the tools plugin.

The response cache (``MemoryCache``, ``get``, ``tee_output``) and ``expires``.
The names resolve on first use to :mod:`cherrypit_tools.caching` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_tools.caching import AntiStampedeCache as AntiStampedeCache
    from cherrypit_tools.caching import Cache as Cache
    from cherrypit_tools.caching import CachedResponse as CachedResponse
    from cherrypit_tools.caching import MemoryCache as MemoryCache
    from cherrypit_tools.caching import expires as expires
    from cherrypit_tools.caching import get as get
    from cherrypit_tools.caching import tee_output as tee_output

__all__ = [
    "AntiStampedeCache",
    "Cache",
    "CachedResponse",
    "MemoryCache",
    "expires",
    "get",
    "tee_output",
]


__getattr__ = plugin_attributes(__name__, __all__, provider="tools")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
