"""cherrypit: CherryPy's object-oriented web framework as a plugin-first microkernel.

``import cherrypit as cherrypy`` gives the names CherryPy applications use::

    import cherrypit as cherrypy

    class Root:
        @cherrypy.expose
        def index(self):
            return "Hello world!"

    cherrypy.quickstart(Root())

This module imports no plugin: names that plugins back (``server``, ``session``…) are
resolved on first use, and so is every submodule (``cherrypit.lib.sessions``), as
CherryPy's are right after ``import cherrypy``.

Two version numbers: ``__version__`` is ``"18.10.0"``, the CherryPy API level this
implements (what CherryPy code compares ``cherrypy.__version__`` with); ``VERSION`` is
cherrypit's own release number, read from the package metadata.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cherrypit import dispatch
from cherrypit._kernel import serving as _serving_mod
from cherrypit._kernel import site as _site
from cherrypit._kernel.config import Config as _Config
from cherrypit._kernel.dispatch import expose, popargs
from cherrypit._kernel.errors import (
    CherryPyException,
    ConfigError,
    HTTPError,
    HTTPRedirect,
    InternalRedirect,
    NotFound,
    TimeoutError,
)
from cherrypit._kernel.submodules import lazy_submodules as _lazy_submodules
from cherrypit._kernel.submodules import plugin_attributes as _plugin_attributes
from cherrypit._kernel.tools import (
    ErrorTool,
    HandlerTool,
    HandlerWrapperTool,
    Tool,
    Toolbox,
)
from cherrypit._kernel.tree import Application, Tree
from cherrypit._kernel.urls import url
from cherrypit._kernel.version import CHERRYPY_API_VERSION as _CHERRYPY_API_VERSION
from cherrypit._kernel.version import VERSION

if TYPE_CHECKING:
    from cherrypit._kernel.engine import Engine
    from cherrypit._kernel.request import Request, Response

#: The CherryPy release whose API this implements, for code that checks
#: ``cherrypy.__version__``; cherrypit's own release number is :data:`VERSION`.
__version__ = _CHERRYPY_API_VERSION

__all__ = [
    "VERSION",
    "Application",
    "CherryPyException",
    "ConfigError",
    "ErrorTool",
    "HTTPError",
    "HTTPRedirect",
    "HandlerTool",
    "HandlerWrapperTool",
    "InternalRedirect",
    "NotFound",
    "TimeoutError",
    "Tool",
    "Toolbox",
    "Tree",
    "__version__",
    "checker",
    "config",
    "dispatch",
    "engine",
    "expose",
    "log",
    "popargs",
    "quickstart",
    "request",
    "response",
    "serving",
    "session",
    "thread_data",
    "tools",
    "tree",
    "url",
]


class _ContextProxy:
    """Forwards attribute access to the current request, response or session."""

    __slots__ = ("__attrname__",)

    def __init__(self, attrname: str) -> None:
        object.__setattr__(self, "__attrname__", attrname)

    def _target(self) -> Any:
        return getattr(_serving_mod.current(), self.__attrname__)

    def __getattr__(self, name: str) -> Any:
        return getattr(getattr(_serving_mod.current(), self.__attrname__), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(getattr(_serving_mod.current(), self.__attrname__), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(getattr(_serving_mod.current(), self.__attrname__), name)

    def __dir__(self) -> list[str]:
        return dir(self._target())

    def __getitem__(self, key: Any) -> Any:
        return self._target()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._target()[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._target()

    def __len__(self) -> int:
        return len(self._target())

    def __iter__(self) -> Any:
        return iter(self._target())

    def __bool__(self) -> bool:
        return bool(self._target())

    def __eq__(self, other: object) -> bool:
        return bool(self._target() == other)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return repr(self._target())


class _ServingProxy:
    """``cherrypit.serving``: the request/response pair of the current context."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_serving_mod.current(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_serving_mod.current(), name, value)

    def load(self, request: Any, response: Any) -> None:
        _serving_mod.current().load(request, response)

    def clear(self) -> None:
        _serving_mod.current().clear()


request: Request = _ContextProxy("request")  # type: ignore[assignment]
response: Response = _ContextProxy("response")  # type: ignore[assignment]
session: Any = _ContextProxy("session")
serving: Any = _ServingProxy()
thread_data = _serving_mod.thread_data

config: _Config = _site.config
tree: Tree = _site.tree
engine: Engine = _site.engine
tools: Toolbox = _site.toolbox
log = _site.log
checker = _site.checker


def quickstart(root: Any = None, script_name: str = "", config: Any = None) -> None:
    """Mount ``root`` and serve it until the process is told to stop.

    ``config`` is applied to the site (its ``[global]`` section) and to the
    application (its path sections), as in CherryPy.
    """
    if config:
        _site.config.update(config)
    _site.tree.mount(root, script_name, config)
    _site.engine.signals.subscribe()
    _site.engine.start()
    _site.engine.block()


# Names that plugins back: cherrypit.server (server plugin) and friends.
_compat_attribute = _plugin_attributes(__name__)


def _plugin_attribute(name: str) -> Any:
    if name == "session":
        # CherryPy code may ``del cherrypy.session`` (its session tool puts the proxy
        # back on the next request that uses sessions); the proxy is stateless, so a
        # fresh one takes its place.
        proxy = globals()["session"] = _ContextProxy("session")
        return proxy
    return _compat_attribute(name)


# Every submodule (``cherrypit.lib``, ``cherrypit._cptree`` ...) is an attribute,
# imported on first access, as CherryPy's are right after ``import cherrypy``.
__getattr__, __dir__ = _lazy_submodules(__name__, __path__, globals(), _plugin_attribute)
