"""CherryPy's ``cherrypy.lib.reprconf`` import path: INI files with Python values.

:class:`Parser` is the kernel's config-file reader itself (a
:class:`configparser.ConfigParser` that keeps the case of keys and evaluates each value
with :func:`unrepr`), so replacing its methods changes how every config file is read.
Config files are code: load them only from trusted places.
"""

from __future__ import annotations

import importlib
from typing import Any

from cherrypit._kernel.config import Config as Config
from cherrypit._kernel.config import NamespaceSet as NamespaceSet
from cherrypit._kernel.configfile import Parser as Parser
from cherrypit._kernel.configfile import as_dict as as_dict
from cherrypit._kernel.configfile import unrepr as _unrepr

#: The types a config value of text may have.
text_or_bytes = (str, bytes)

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


def unrepr(s: str) -> Any:
    """Evaluate one config value (Python literal syntax); an empty value is ``None``."""
    return _unrepr(s)


def modules(modulePath: str) -> Any:  # CherryPy's parameter name, for keyword callers
    """Import and return the module named ``modulePath``."""
    return importlib.import_module(modulePath)


def attributes(full_attribute_name: str) -> Any:
    """The object named by a dotted path such as ``"package.module.attr"``."""
    module_name, _, attr = full_attribute_name.rpartition(".")
    if not module_name:
        raise ImportError(f"{full_attribute_name!r} is not a dotted name")
    return getattr(importlib.import_module(module_name), attr)
