"""CherryPy's ``cherrypy.lib.cpstats`` import path, backed by the tools plugin.

Statistics (``StatsPage``, ``extrapolate_statistics``, ``logging.statistics``).
The names resolve on first use to :mod:`cherrypit_tools.cpstats` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_tools.cpstats import ByteCountWrapper as ByteCountWrapper
    from cherrypit_tools.cpstats import StatsPage as StatsPage
    from cherrypit_tools.cpstats import StatsTool as StatsTool
    from cherrypit_tools.cpstats import appstats as appstats
    from cherrypit_tools.cpstats import extrapolate_statistics as extrapolate_statistics
    from cherrypit_tools.cpstats import iso_format as iso_format
    from cherrypit_tools.cpstats import locale_date as locale_date
    from cherrypit_tools.cpstats import statistics as statistics

__all__ = [
    "ByteCountWrapper",
    "StatsPage",
    "StatsTool",
    "appstats",
    "extrapolate_statistics",
    "iso_format",
    "locale_date",
    "statistics",
]


__getattr__ = plugin_attributes(__name__, __all__, provider="tools")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
