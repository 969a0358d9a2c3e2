"""CherryPy's ``cherrypy._cprequest`` import path; see :mod:`cherrypit._kernel.request`.

``hookpoints`` lists the request hook points in the order the cycle reaches them.
"""

from cherrypit._kernel.hooks import POINTS as _POINTS
from cherrypit._kernel.hooks import Hook as Hook
from cherrypit._kernel.hooks import HookMap as HookMap
from cherrypit._kernel.request import Request as Request
from cherrypit._kernel.request import Response as Response
from cherrypit._kernel.request import ResponseBody as ResponseBody

hookpoints: list[str] = list(_POINTS)

__all__ = ["Hook", "HookMap", "Request", "Response", "ResponseBody", "hookpoints"]
