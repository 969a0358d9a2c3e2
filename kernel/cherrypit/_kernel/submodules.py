"""Submodules reachable as attributes of their package without an import.

CherryPy's ``import cherrypy`` imports most of its modules, so CherryPy code writes
``cherrypy.lib.sessions.FileSession`` or ``cherrypy.process.servers`` with no import
of its own.  cherrypit imports far less at start-up (no plugin, no HTTP server), so
each of its packages gives the same reach lazily: one rule for every package --
*any submodule of the package is an attribute of it*, imported on first access
(PEP 562) and listed by ``dir()``.

A package opts in with::

    __getattr__, __dir__ = lazy_submodules(__name__, __path__, globals())

Names that plugins provide (``cherrypit.server``, ``cherrypit.lib.static.serve_file``,
``_cptools.SessionTool`` ...) have one route too: a compat module's ``__getattr__`` is
made by :func:`plugin_attributes`, which asks the ``cherrypit_compat_attribute`` hook
(:func:`cherrypit._kernel.pluginmanager.compat_attribute`).  No compat module looks a
plugin up by itself, so a plugin that replaces a built-in one backs the same names.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Collection, Iterable, MutableMapping
from typing import Any

# The module, not its names: the plugin manager is imported by the site, and compat
# modules may be imported while that is still going on.
from cherrypit._kernel import pluginmanager

__all__ = ["lazy_submodules", "plugin_attributes", "submodule_names"]


def plugin_attributes(
    module: str, names: Collection[str] | None = None, provider: str | None = None
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``module`` that resolves names through the plugins.

    :param names: the names plugins provide there (the module's documented ones); any
        other name is an :class:`AttributeError` at once, without loading plugins.
        ``None`` passes every name that is not a dunder on to the plugins.
    :param provider: the plugin that usually provides them, named when none does (the
        error then says which plugin is missing, not only that something is).
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__") or (names is not None and name not in names):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        try:
            return pluginmanager.compat_attribute(module, name)
        except AttributeError as exc:
            if provider is None:
                raise
            raise AttributeError(
                f"module {module!r} has no attribute {name!r} (plugin {provider!r} is not "
                "installed or is disabled; see `cherrypit plugins`)"
            ) from exc

    return __getattr__


#: Never reached by attribute: running ``__main__`` is a program start, not an import.
_NOT_ATTRIBUTES = frozenset({"__main__"})


def submodule_names(path: Iterable[str]) -> frozenset[str]:
    """The names of the modules and packages directly inside a package's ``__path__``."""
    return frozenset(
        info.name for info in pkgutil.iter_modules(list(path)) if info.name not in _NOT_ATTRIBUTES
    )


def lazy_submodules(
    package: str,
    path: Iterable[str],
    namespace: MutableMapping[str, Any],
    fallback: Callable[[str], Any] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` pair for ``package``.

    ``__getattr__`` imports ``package.<name>`` when ``name`` is one of its
    submodules; other names go to ``fallback`` (for names that plugins provide), or
    raise :class:`AttributeError`.  The submodule list is read from ``path`` on
    first use, so a package costs nothing at import time.

    :param namespace: the package's ``globals()``, for ``__dir__``.
    """
    names: frozenset[str] | None = None

    def known() -> frozenset[str]:
        nonlocal names
        if names is None:
            names = submodule_names(path)
        return names

    def __getattr__(name: str) -> Any:
        if name in known():
            # import_module binds the submodule on the package, so this runs once.
            return importlib.import_module(f"{package}.{name}")
        if fallback is not None and not name.startswith("__"):
            return fallback(name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *known()})

    return __getattr__, __dir__
