"""CherryPy's ``cherrypy._cpreqbody`` import path.

The names live in :mod:`cherrypit._kernel.body` (:class:`SizedReader` in
:mod:`cherrypit._kernel.readers`).

Apps subclass :class:`Part` or tune ``Part.maxrambytes`` here, and register body
processors such as :func:`process_multipart`.
"""

from math import inf as inf

from cherrypit._kernel.body import Entity as Entity
from cherrypit._kernel.body import Part as Part
from cherrypit._kernel.body import RequestBody as RequestBody
from cherrypit._kernel.body import _old_process_multipart as _old_process_multipart
from cherrypit._kernel.body import process_multipart as process_multipart
from cherrypit._kernel.body import process_multipart_form_data as process_multipart_form_data
from cherrypit._kernel.body import process_urlencoded as process_urlencoded
from cherrypit._kernel.body import unquote_plus as unquote_plus
from cherrypit._kernel.readers import DEFAULT_BUFFER_SIZE as DEFAULT_BUFFER_SIZE
from cherrypit._kernel.readers import SizedReader as SizedReader

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "Entity",
    "Part",
    "RequestBody",
    "SizedReader",
    "process_multipart",
    "process_multipart_form_data",
    "process_urlencoded",
    "unquote_plus",
]
