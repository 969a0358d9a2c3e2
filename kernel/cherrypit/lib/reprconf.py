"""CherryPy's ``cherrypy.lib.reprconf`` import path: INI files with Python values.

Re-exports only: :class:`Parser`, :func:`unrepr` and the helpers are the kernel's
config-file reader itself (:mod:`cherrypit._kernel.configfile`), and :class:`Config`
and :class:`NamespaceSet` the kernel's config classes.  So replacing a method of
``Parser`` changes how every config file is read, as in CherryPy.  Config files are
code: load them only from trusted places.
"""

from cherrypit._cpcompat import text_or_bytes as text_or_bytes
from cherrypit._kernel.config import Config as Config
from cherrypit._kernel.config import NamespaceSet as NamespaceSet
from cherrypit._kernel.configfile import Parser as Parser
from cherrypit._kernel.configfile import as_dict as as_dict
from cherrypit._kernel.configfile import attributes as attributes
from cherrypit._kernel.configfile import modules as modules
from cherrypit._kernel.configfile import unrepr as unrepr

__all__ = [
    "Config",
    "NamespaceSet",
    "Parser",
    "as_dict",
    "attributes",
    "modules",
    "text_or_bytes",
    "unrepr",
]
