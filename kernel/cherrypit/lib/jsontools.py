"""CherryPy's ``cherrypy.lib.jsontools`` import path, backed by the tools plugin.

The names resolve on first use to :mod:`cherrypit_tools.jsontools` (the kernel does
not import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The kernel's, not the plugin's: available even with the plugin disabled.
from cherrypit._cpcompat import text_or_bytes as text_or_bytes
from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_tools.jsontools import json_handler as json_handler
    from cherrypit_tools.jsontools import json_in as json_in
    from cherrypit_tools.jsontools import json_out as json_out
    from cherrypit_tools.jsontools import json_processor as json_processor

__all__ = ["json_handler", "json_in", "json_out", "json_processor"]


__getattr__ = plugin_attributes(__name__, __all__, provider="tools")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
