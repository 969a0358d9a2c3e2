"""CherryPy's ``cherrypy.lib`` import path: helper modules that applications import.

Every submodule is an attribute of this package (``cherrypit.lib.caching.expires``
with no import of its own), imported on first access.  Submodules backed by plugins
(``static``, ``sessions``, ``caching`` …) resolve their names to the plugin that
provides them; the small helpers below are the kernel's own.
"""

from cherrypit._kernel.submodules import lazy_submodules as _lazy_submodules
from cherrypit.lib._helpers import file_generator as file_generator
from cherrypit.lib._helpers import file_generator_limited as file_generator_limited
from cherrypit.lib._helpers import is_closable_iterator as is_closable_iterator
from cherrypit.lib._helpers import is_iterator as is_iterator
from cherrypit.lib._helpers import set_vary_header as set_vary_header

__all__ = [
    "file_generator",
    "file_generator_limited",
    "is_closable_iterator",
    "is_iterator",
    "set_vary_header",
]

__getattr__, __dir__ = _lazy_submodules(__name__, __path__, globals())
