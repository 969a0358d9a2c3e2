"""CherryPy's ``cherrypy.lib.sessions`` import path, backed by the sessions plugin.

The names resolve on first use to :mod:`cherrypit_sessions.api` (the kernel does not
import the plugin); they are missing if the ``sessions`` plugin is disabled.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_sessions.api import FileSession as FileSession
    from cherrypit_sessions.api import RamSession as RamSession
    from cherrypit_sessions.api import Session as MemcachedSession
    from cherrypit_sessions.api import Session as Session
    from cherrypit_sessions.api import close as close
    from cherrypit_sessions.api import expire as expire
    from cherrypit_sessions.api import init as init
    from cherrypit_sessions.api import missing as missing
    from cherrypit_sessions.api import save as save
    from cherrypit_sessions.api import set_response_cookie as set_response_cookie

__all__ = [
    "FileSession",
    "MemcachedSession",
    "RamSession",
    "Session",
    "close",
    "expire",
    "init",
    "missing",
    "save",
    "set_response_cookie",
]


def _memcached_session() -> type:
    """CherryPy's memcached store, which needs the ``memcache`` module cherrypit lacks.

    A :class:`Session` subclass so that code naming or subclassing it loads; making
    one (what ``tools.sessions.storage_class = MemcachedSession`` does on the first
    request) raises :class:`ImportError` naming the missing module.
    """
    cached = globals().get("_MemcachedSession")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    base: type = _plugin_attribute("Session")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ImportError(
            "MemcachedSession needs the 'memcache' module, which cherrypit does not "
            "support; use tools.sessions.storage_type = 'redis' or 'file' instead"
        )

    def __init__(self: Any, id: str | None = None, **kwargs: Any) -> None:
        refuse()

    cls = type(
        "MemcachedSession",
        (base,),
        {
            "__module__": __name__,
            "__doc__": _memcached_session.__doc__,
            "__init__": __init__,
            "setup": classmethod(refuse),
            "servers": ["localhost:11211"],
            "locks": {},
            "mc_lock": threading.RLock(),
        },
    )
    globals()["_MemcachedSession"] = cls
    return cls


_plugin_attribute = plugin_attributes(__name__, __all__, provider="sessions")


def __getattr__(name: str) -> Any:
    if name == "MemcachedSession":
        return _memcached_session()
    return _plugin_attribute(name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
