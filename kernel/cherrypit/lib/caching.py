"""CherryPy's ``cherrypy.lib.caching`` import path, backed by the tools plugin.

The response cache (``MemoryCache``, ``get``, ``tee_output``) and ``expires``.
The names resolve on first use to :mod:`cherrypit_tools.caching` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit._kernel.pluginmanager import plugin_module

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


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(plugin_module("tools").caching, name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
