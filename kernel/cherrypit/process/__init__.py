"""CherryPy's ``cherrypy.process`` package: the engine bus and its process plugins.

The global ``engine`` bus is created by the kernel, not here; ``bus`` is that engine
(``cherrypit.process.bus is cherrypit.engine``), as in CherryPy.  Every submodule is
an attribute of this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit._kernel.submodules import lazy_submodules as _lazy_submodules
from cherrypit.process import plugins, servers, wspbus

if TYPE_CHECKING:
    from cherrypit._kernel.engine import Engine

    bus: Engine

__all__ = ["bus", "plugins", "servers", "wspbus"]


def _engine(name: str) -> Any:
    if name == "bus":
        return wspbus.bus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__getattr__, __dir__ = _lazy_submodules(__name__, __path__, globals(), _engine)
