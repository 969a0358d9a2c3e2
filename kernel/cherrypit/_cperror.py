"""CherryPy's ``cherrypy._cperror`` import path; see :mod:`cherrypit._kernel.errors`."""

from cherrypit._kernel.errors import HTTP_ERROR_TEMPLATE
from cherrypit._kernel.errors import CherryPyException as CherryPyException
from cherrypit._kernel.errors import HTTPError as HTTPError
from cherrypit._kernel.errors import HTTPRedirect as HTTPRedirect
from cherrypit._kernel.errors import InternalRedirect as InternalRedirect
from cherrypit._kernel.errors import NotFound as NotFound
from cherrypit._kernel.errors import TimeoutError as TimeoutError
from cherrypit._kernel.errors import bare_error as bare_error
from cherrypit._kernel.errors import clean_headers as clean_headers
from cherrypit._kernel.errors import format_exc as format_exc
from cherrypit._kernel.errors import get_error_page as get_error_page

#: The default error page as a ``%(status)s``/``%(message)s``/``%(traceback)s``/
#: ``%(version)s`` template; assign a string of your own to restyle every error page
#: that no ``error_page.*`` config answers.
_HTTPErrorTemplate = HTTP_ERROR_TEMPLATE

__all__ = [
    "CherryPyException",
    "HTTPError",
    "HTTPRedirect",
    "InternalRedirect",
    "NotFound",
    "TimeoutError",
    "bare_error",
    "clean_headers",
    "format_exc",
    "get_error_page",
]
