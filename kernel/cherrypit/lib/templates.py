"""``cherrypit.lib.templates``: the templates plugin's public names at a stable path.

CherryPy has no such module; it lives with the other ``lib`` paths so applications can
import ``render`` without naming the plugin package.  The names resolve on first use to
:mod:`cherrypit_templates` (the kernel does not import the plugin); they are missing if
the ``templates`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_templates import TemplateEngine as TemplateEngine
    from cherrypit_templates import TemplateError as TemplateError
    from cherrypit_templates import TemplateNotFound as TemplateNotFound
    from cherrypit_templates import register_engine as register_engine
    from cherrypit_templates import render as render

__all__ = ["TemplateEngine", "TemplateError", "TemplateNotFound", "register_engine", "render"]


__getattr__ = plugin_attributes(__name__, __all__, provider="templates")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
