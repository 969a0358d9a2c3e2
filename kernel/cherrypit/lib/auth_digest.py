"""CherryPy's ``cherrypy.lib.auth_digest`` import path, backed by the tools plugin.

Digest authentication helpers (``get_ha1_dict_plain`` and friends).
The names resolve on first use to :mod:`cherrypit_tools.auth_digest` (the kernel does not
import the plugin); they are missing if the ``tools`` plugin is disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cherrypit._kernel.submodules import plugin_attributes

if TYPE_CHECKING:
    from cherrypit_tools.auth_digest import DEFAULT_CHARSET as DEFAULT_CHARSET
    from cherrypit_tools.auth_digest import FALLBACK_CHARSET as FALLBACK_CHARSET
    from cherrypit_tools.auth_digest import TRACE as TRACE
    from cherrypit_tools.auth_digest import H as H
    from cherrypit_tools.auth_digest import HttpDigestAuthorization as HttpDigestAuthorization
    from cherrypit_tools.auth_digest import NonceCounter as NonceCounter
    from cherrypit_tools.auth_digest import digest_auth as digest_auth
    from cherrypit_tools.auth_digest import get_ha1_dict as get_ha1_dict
    from cherrypit_tools.auth_digest import get_ha1_dict_plain as get_ha1_dict_plain
    from cherrypit_tools.auth_digest import get_ha1_file_htdigest as get_ha1_file_htdigest
    from cherrypit_tools.auth_digest import md5_hex as md5_hex
    from cherrypit_tools.auth_digest import nonce_counter as nonce_counter
    from cherrypit_tools.auth_digest import qop_auth as qop_auth
    from cherrypit_tools.auth_digest import qop_auth_int as qop_auth_int
    from cherrypit_tools.auth_digest import synthesize_nonce as synthesize_nonce
    from cherrypit_tools.auth_digest import uri_matches as uri_matches
    from cherrypit_tools.auth_digest import valid_algorithms as valid_algorithms
    from cherrypit_tools.auth_digest import valid_qops as valid_qops
    from cherrypit_tools.auth_digest import www_authenticate as www_authenticate

__all__ = [
    "DEFAULT_CHARSET",
    "FALLBACK_CHARSET",
    "TRACE",
    "H",
    "HttpDigestAuthorization",
    "NonceCounter",
    "digest_auth",
    "get_ha1_dict",
    "get_ha1_dict_plain",
    "get_ha1_file_htdigest",
    "md5_hex",
    "nonce_counter",
    "qop_auth",
    "qop_auth_int",
    "synthesize_nonce",
    "uri_matches",
    "valid_algorithms",
    "valid_qops",
    "www_authenticate",
]


__getattr__ = plugin_attributes(__name__, __all__, provider="tools")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
