"""CherryPy's ``cherrypy.lib.auth_basic`` import path, backed by the tools plugin.

Basic authentication helpers (``checkpassword_dict``, the hashed-password helpers).
The names resolve on first use to :mod:`cherrypit_tools.auth_basic` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_tools.auth_basic import basic_auth as basic_auth
    from cherrypit_tools.auth_basic import checkpassword_dict as checkpassword_dict
    from cherrypit_tools.auth_basic import checkpassword_hashed as checkpassword_hashed
    from cherrypit_tools.auth_basic import hash_password as hash_password
    from cherrypit_tools.auth_basic import verify_password as verify_password

__all__ = [
    "basic_auth",
    "checkpassword_dict",
    "checkpassword_hashed",
    "hash_password",
    "verify_password",
]


__getattr__ = plugin_attributes(__name__, __all__, provider="tools")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
