"""CherryPy's ``cherrypy.lib.httputil`` import path.

See :mod:`cherrypit._kernel.httputil` and, for the header names, :mod:`cherrypit._kernel.headers`.
"""

from cherrypit._kernel.headers import AcceptElement as AcceptElement
from cherrypit._kernel.headers import HeaderElement as HeaderElement
from cherrypit._kernel.headers import HeaderMap as HeaderMap
from cherrypit._kernel.headers import decode_TEXT as decode_TEXT
from cherrypit._kernel.headers import decode_TEXT_maybe as decode_TEXT_maybe
from cherrypit._kernel.headers import header_elements as header_elements
from cherrypit._kernel.httputil import RE_HEADER_SPLIT as RE_HEADER_SPLIT
from cherrypit._kernel.httputil import CaseInsensitiveDict as CaseInsensitiveDict
from cherrypit._kernel.httputil import Host as Host
from cherrypit._kernel.httputil import HTTPDate as HTTPDate
from cherrypit._kernel.httputil import SanitizedHost as SanitizedHost
from cherrypit._kernel.httputil import get_ranges as get_ranges
from cherrypit._kernel.httputil import header_translate_deletechars as header_translate_deletechars
from cherrypit._kernel.httputil import header_translate_table as header_translate_table
from cherrypit._kernel.httputil import image_map_pattern as image_map_pattern
from cherrypit._kernel.httputil import parse_http_date as parse_http_date
from cherrypit._kernel.httputil import parse_query_string as parse_query_string
from cherrypit._kernel.httputil import protocol_from_http as protocol_from_http
from cherrypit._kernel.httputil import q_separator as q_separator
from cherrypit._kernel.httputil import response_codes as response_codes
from cherrypit._kernel.httputil import urljoin as urljoin
from cherrypit._kernel.httputil import urljoin_bytes as urljoin_bytes
from cherrypit._kernel.httputil import valid_status as valid_status

__all__ = [
    "RE_HEADER_SPLIT",
    "AcceptElement",
    "CaseInsensitiveDict",
    "HTTPDate",
    "HeaderElement",
    "HeaderMap",
    "Host",
    "SanitizedHost",
    "decode_TEXT",
    "decode_TEXT_maybe",
    "get_ranges",
    "header_elements",
    "header_translate_deletechars",
    "header_translate_table",
    "image_map_pattern",
    "parse_http_date",
    "parse_query_string",
    "protocol_from_http",
    "q_separator",
    "response_codes",
    "urljoin",
    "urljoin_bytes",
    "valid_status",
]
